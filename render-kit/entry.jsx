// The one Remotion project template-sft renders every scene with. The scene's code (already
// transpiled to CommonJS by the driver) arrives as input props; this root evaluates it, checks its
// entry point, and renders it in an error boundary that cancels the render on the first error.
//
// `./page.js` runs first (the CSP, the React and Remotion globals), then `./host.js`, which the
// kit writes per project: it imports the `[render] packages` a scene may import and runs the
// `[render] runtime`, which sets the globals the host app provides (icon components, font loaders,
// asset maps). A remote image URL is swapped for a checkerboard placeholder (counted, so the
// verdict can say so). An error names the globals the scene reads that the page does not have, and
// where in the scene it was thrown.
import "./page.js";
import { packages } from "./host.js";
import React from "react";
import * as ReactDOM from "react-dom";
import * as Remotion from "remotion";
import { Composition, cancelRender, registerRoot } from "remotion";

// 8×8 checkerboard of two greys: a full-frame photo replaced by it is not a one-colour frame.
const PLACEHOLDER =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAE0lEQVR42mOYmQaBDFB6JgNZIgB8BB/h4DIsfgAAAABJRU5ErkJggg==";
const REMOTE = /^(https?:)?\/\//i;

// The render's secret, which marks the console lines that count replaced URLs: read from the input
// props before any scene runs, then removed from them (getInputProps() and useVideoConfig().props
// do not have it), and logged through console.log as it is now (a scene that replaces console.log
// does not see it). What a scene logs cannot be counted.
const log = console.log.bind(console);
const test = RegExp.prototype.test;
const apply = Reflect.apply;
const NONCE = (() => {
  try {
    const props = JSON.parse(window.remotion_inputProps);
    const nonce = String(props.nonce || "");
    delete props.nonce;
    window.remotion_inputProps = JSON.stringify(props);
    return nonce;
  } catch {
    return "";
  }
})();

// React for scenes: the same, except that an <img>/<Img> with a remote URL gets the placeholder.
function sceneReact() {
  const createElement = (type, props, ...children) => {
    if ((type === "img" || type === Remotion.Img) && props && typeof props.src === "string" && apply(test, REMOTE, [props.src])) {
      log(`template-sft:replaced-url ${NONCE} ${props.src.slice(0, 200)}`);
      props = { ...props, src: PLACEHOLDER };
    }
    return React.createElement(type, props, ...children);
  };
  return { ...React, createElement, default: undefined };
}
const SceneReact = sceneReact();
SceneReact.default = SceneReact;

// What `require` gives a scene that imports: React, Remotion, the project's packages, and no-op
// stand-ins for Remotion's font loaders (they would fetch from the network).
function sceneRequire(name) {
  if (name === "react") return { ...SceneReact, __esModule: true, default: SceneReact };
  if (name === "react-dom") return ReactDOM;
  if (name === "remotion") return { ...Remotion, __esModule: true };
  if (Object.prototype.hasOwnProperty.call(packages, name)) return packages[name];
  if (name.startsWith("@remotion/google-fonts") || name === "@remotion/fonts") {
    const loadFont = () => ({ fontFamily: "sans-serif", waitUntilDone: () => Promise.resolve() });
    return { __esModule: true, loadFont, default: { loadFont } };
  }
  const more = Object.keys(packages);
  throw new Error(
    `Cannot find module '${name}': the render kit provides react, react-dom, remotion` +
      (more.length ? `, ${more.join(", ")}` : "") +
      " ([render] packages adds more)",
  );
}

// The scene's code runs as a function; this name marks its frames in a stack.
const SCENE_URL = "template-sft-scene.js";
// `new Function` puts two lines of its own above the body.
const WRAPPER_LINES = 2;

// Where in the scene's (transpiled) code an error was thrown: `line:col`, or "".
function thrownAt(error) {
  const stack = String((error && error.stack) || "");
  const at = stack.match(/template-sft-scene\.js:(\d+):(\d+)/);
  return at ? `${Number(at[1]) - WRAPPER_LINES}:${at[2]}` : "";
}

// The globals the scene reads (found by template-sft before rendering) that this page lacks.
function missingGlobals(globals) {
  return (globals || []).filter((g) => !(g.name in window));
}

// The error as the driver reads it: what is missing first (the likely cause), then the error, then
// a marker with the place in the transpiled code, which the driver maps back to the scene's TSX.
function explained(error, globals) {
  const message = String((error && error.message) || error).split("\n")[0];
  const missing = missingGlobals(globals);
  const cause = missing.length
    ? `reads ${missing.map((g) => `${g.via === "window" ? "window." : ""}${g.name} (${g.line}:${g.column})`).join(", ")}, which the render runtime does not provide ([render] runtime): `
    : "";
  const at = thrownAt(error);
  return new Error(cause + message + (at ? ` @@template-sft-at ${at}` : ""));
}

const modules = new Map();
// The scene's exports, evaluated once per code.
function evaluate(code, globals) {
  if (!modules.has(code)) {
    const module = { exports: {} };
    try {
      // eslint-disable-next-line no-new-func
      new Function("exports", "require", "module", "React", `${code}\n//# sourceURL=${SCENE_URL}`)(
        module.exports,
        sceneRequire,
        module,
        SceneReact,
      );
    } catch (error) {
      throw explained(error, globals);
    }
    modules.set(code, module.exports);
  }
  return modules.get(code);
}

function entryOf(code, exportName, globals) {
  const exports = evaluate(code, globals);
  const entry = exports[exportName];
  if (typeof entry !== "function" && !(entry && typeof entry === "object" && entry.$$typeof)) {
    throw explained(new Error(`the module has no component export "${exportName}" (found ${typeof entry})`), globals);
  }
  return entry;
}

class Boundary extends React.Component {
  componentDidCatch(error) {
    cancelRender(explained(error, this.props.globals));
  }
  render() {
    return this.props.children;
  }
}

function Scene({ code, exportName, globals }) {
  const Entry = entryOf(code, exportName, globals);
  return React.createElement(Boundary, { globals }, React.createElement(Entry));
}

function Root() {
  return React.createElement(Composition, {
    id: "Scene",
    component: Scene,
    width: 1080,
    height: 1080,
    fps: 30,
    durationInFrames: 1,
    defaultProps: { code: "", exportName: "default", globals: [], width: 1080, height: 1080, fps: 30, durationInFrames: 1 },
    // Evaluating the module here makes an error at module scope fail selectComposition, before any
    // frame is rendered.
    calculateMetadata: ({ props }) => {
      entryOf(props.code, props.exportName, props.globals);
      return { width: props.width, height: props.height, fps: props.fps, durationInFrames: props.durationInFrames };
    },
  });
}

registerRoot(Root);
