// The one Remotion project template-sft renders every scene with. The scene's code (already
// transpiled to CommonJS by the driver) arrives as input props; this root evaluates it, checks its
// entry point, and renders it in an error boundary that cancels the render on the first error.
//
// Before any scene code runs, the page is cut off from the network: a Content-Security-Policy lets
// the page load only what the bundle's own server serves (no other host, no other local port), and
// a remote image URL is swapped for a grey placeholder (counted, so the verdict can say so).
import React from "react";
import * as ReactDOM from "react-dom";
import * as Remotion from "remotion";
import { Composition, cancelRender, registerRoot } from "remotion";

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

const PLACEHOLDER =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mN4+/bZfwAJrAPr2l3V6wAAAABJRU5ErkJggg==";
const REMOTE = /^(https?:)?\/\//i;

// React for scenes: the same, except that an <img>/<Img> with a remote URL gets the placeholder.
function sceneReact() {
  const createElement = (type, props, ...children) => {
    if ((type === "img" || type === Remotion.Img) && props && typeof props.src === "string" && REMOTE.test(props.src)) {
      console.log("template-sft:replaced-url " + props.src.slice(0, 200));
      props = { ...props, src: PLACEHOLDER };
    }
    return React.createElement(type, props, ...children);
  };
  return { ...React, createElement, default: undefined };
}
const SceneReact = sceneReact();
SceneReact.default = SceneReact;

// What `require` gives a scene that imports: React, Remotion, and no-op stand-ins for font loaders.
function sceneRequire(name) {
  if (name === "react") return { ...SceneReact, __esModule: true, default: SceneReact };
  if (name === "react-dom") return ReactDOM;
  if (name === "remotion") return { ...Remotion, __esModule: true };
  if (name.startsWith("@remotion/google-fonts") || name === "@remotion/fonts") {
    const loadFont = () => ({ fontFamily: "sans-serif", waitUntilDone: () => Promise.resolve() });
    return { __esModule: true, loadFont, default: { loadFont } };
  }
  throw new Error(`Cannot find module '${name}': the render kit provides react, react-dom and remotion`);
}

const modules = new Map();
// The scene's exports, evaluated once per code.
function evaluate(code) {
  if (!modules.has(code)) {
    const module = { exports: {} };
    // eslint-disable-next-line no-new-func
    new Function("exports", "require", "module", "React", code)(module.exports, sceneRequire, module, SceneReact);
    modules.set(code, module.exports);
  }
  return modules.get(code);
}

function entryOf(code, exportName) {
  const exports = evaluate(code);
  const entry = exports[exportName];
  if (typeof entry !== "function" && !(entry && typeof entry === "object" && entry.$$typeof)) {
    throw new Error(`the module has no component export "${exportName}" (found ${typeof entry})`);
  }
  return entry;
}

class Boundary extends React.Component {
  componentDidCatch(error) {
    cancelRender(error);
  }
  render() {
    return this.props.children;
  }
}

function Scene({ code, exportName }) {
  const Entry = entryOf(code, exportName);
  return React.createElement(Boundary, null, React.createElement(Entry));
}

function Root() {
  return React.createElement(Composition, {
    id: "Scene",
    component: Scene,
    width: 1080,
    height: 1080,
    fps: 30,
    durationInFrames: 1,
    defaultProps: { code: "", exportName: "default", width: 1080, height: 1080, fps: 30, durationInFrames: 1 },
    // Evaluating the module here makes an error at module scope fail selectComposition, before any
    // frame is rendered.
    calculateMetadata: ({ props }) => {
      entryOf(props.code, props.exportName);
      return { width: props.width, height: props.height, fps: props.fps, durationInFrames: props.durationInFrames };
    },
  });
}

registerRoot(Root);
