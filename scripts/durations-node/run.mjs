// The reference for tests/durations_node.rs: each program (TSX) transpiled by TypeScript's own
// compiler (to CommonJS, classic JSX, nothing lowered) and run by Node in a fresh vm context with the
// globals a scene expects as inert stubs, then the value of every export whose name matches the
// pattern read.
//   node run.mjs programs.json > results.json
// programs.json: [{"code": "...", "pattern": "durationInFrames"}, ...]
// results.json:  [{"ok": true, "values": {"durationInFrames": 90}} | {"ok": false, "error": "..."}, ...]
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ts = require("typescript");

// The same stubs as the sandbox's (src/code/duration/engine.rs): any property, call or `new` gives
// another stub; in arithmetic a stub is NaN.
function stub() {
  const target = function () {};
  return new Proxy(target, {
    get(t, key) {
      if (key === Symbol.toPrimitive || key === "valueOf") return () => NaN;
      if (key === "toString") return () => "";
      if (key === Symbol.iterator) return function* () {};
      if (key === "then") return undefined;
      if (key === "prototype") return Reflect.get(t, key);
      return stub();
    },
    apply() { return stub(); },
    construct() { return stub(); },
    has() { return false; },
    set() { return true; },
    defineProperty() { return true; },
    deleteProperty() { return true; },
  });
}

function matches(pattern, name) {
  if (pattern.endsWith("*")) return name.startsWith(pattern.slice(0, -1));
  return name === pattern || (name.startsWith(pattern + "_") && name.length > pattern.length + 1);
}

function describe(value) {
  if (typeof value === "number") return value;
  if (typeof value === "string") return { string: value };
  return { type: typeof value };
}

const programs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = programs.map(({ code, pattern }) => {
  let js;
  try {
    const out = ts.transpileModule(code, {
      fileName: "scene.tsx",
      reportDiagnostics: true,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        jsx: ts.JsxEmit.React,
        esModuleInterop: true,
      },
    });
    const errors = (out.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) {
      throw new Error(ts.flattenDiagnosticMessageText(errors[0].messageText, " "));
    }
    js = out.outputText;
  } catch (e) {
    return { ok: false, error: `transpile: ${e.message}` };
  }
  const sandbox = {
    window: stub(), document: stub(), React: stub(), ReactDOM: stub(),
    navigator: stub(), location: stub(), fetch: stub(),
    console: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} },
  };
  const context = vm.createContext(sandbox);
  const module = { exports: {} };
  try {
    const run = vm.runInContext(`(function (exports, require, module) {\n${js}\n})`, context, {
      timeout: 2000,
    });
    run(module.exports, () => stub(), module);
  } catch (e) {
    return { ok: false, error: `${e && e.name}: ${e && e.message}` };
  }
  const values = {};
  for (const name of Object.keys(module.exports)) {
    if (matches(pattern, name)) values[name] = describe(module.exports[name]);
  }
  return { ok: true, values };
});
process.stdout.write(JSON.stringify(results));
