// The page every scene renders in, set up before anything else runs (the host runtime included):
// cut off from the network, and with the globals scene runtimes of this kind provide.
//
// A Content-Security-Policy lets the page load only what the bundle's own server serves (no other
// host, no other local port). React, ReactDOM and Remotion are globals, as host apps make them.
import React from "react";
import * as ReactDOM from "react-dom";
import * as Remotion from "remotion";

const meta = document.createElement("meta");
meta.httpEquiv = "Content-Security-Policy";
meta.content = [
  "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "font-src 'self' data:",
  "frame-src 'none'",
  "object-src 'none'",
  "worker-src 'self' blob:",
  "form-action 'none'",
  "base-uri 'none'",
].join("; ");
document.head.prepend(meta);

// Where the renderer has no network namespace of its own (stats.render.isolation = csp_only), the
// channels the CSP does not cover are taken away here, before any scene runs: WebRTC (UDP to any
// host) and popups (a page without this CSP), as a second wall behind the driver's proxy.
for (const name of ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "RTCIceCandidate", "RTCSessionDescription"]) {
  try {
    Object.defineProperty(window, name, { value: undefined, writable: false, configurable: false });
  } catch {}
}
try {
  Object.defineProperty(window, "open", { value: () => null, writable: false, configurable: false });
} catch {}

window.React = React;
window.ReactDOM = ReactDOM;
window.Remotion = Remotion;
