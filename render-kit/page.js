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
].join("; ");
document.head.prepend(meta);

window.React = React;
window.ReactDOM = ReactDOM;
window.Remotion = Remotion;
