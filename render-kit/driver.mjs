// template-sft's render driver: one long-lived node process that owns one headless Chromium.
//
//   node driver.mjs bundle                 build the scene-agnostic bundle into ./bundle (once per kit)
//   node driver.mjs serve CHROMIUM N       read requests (JSON lines) on stdin, render up to N at once,
//                                          write one verdict (a JSON line) per request on stdout
//
// A request: {"id", "code" (TSX), "exportName", "width", "height", "fps", "durationInFrames",
// "frames": [n, …], "scale", "timeoutMs", "out" (a file prefix for PNGs, or null)}.
// A verdict: {"id", "verdict": ok|compile|module|runtime|timeout|blank, "message", "frame",
// "replacedUrls", "files", "seconds"}. `hang` is template-sft's own verdict: it kills this process
// when a request outlives its deadline. Nothing here downloads anything: the browser is the one given.
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "sucrase";
import { PNG } from "pngjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const bundleDir = path.join(here, "bundle");
// stdout carries the protocol and nothing else: whatever Remotion or the page logs goes to stderr.
const protocol = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const say = (value) => protocol(JSON.stringify(value) + "\n");

if (process.argv[2] === "bundle") {
  const { bundle } = await import("@remotion/bundler");
  await bundle({ entryPoint: path.join(here, "entry.jsx"), outDir: bundleDir, enableCaching: false });
  process.exit(0);
}

if (process.argv[2] !== "serve") {
  process.stderr.write("usage: node driver.mjs bundle | serve CHROMIUM CONCURRENCY\n");
  process.exit(2);
}

const browserExecutable = process.argv[3];
const concurrency = Math.max(1, Number(process.argv[4]) || 1);
const { openBrowser, selectComposition, renderStill } = await import("@remotion/renderer");

let browser;
try {
  browser = await openBrowser("chrome", {
    browserExecutable,
    chromiumOptions: { gl: "swangle" },
    logLevel: "error",
  });
} catch (error) {
  say({ fatal: `cannot start ${browserExecutable}: ${error.message}` });
  process.exit(1);
}
say({ ready: true });

// TSX → CommonJS, classic JSX: the scene runtime's own transpilation. A syntax error is a
// `compile` verdict with its line and column, before any browser work.
function compile(code) {
  return transform(code, {
    transforms: ["typescript", "jsx", "imports"],
    jsxPragma: "React.createElement",
    jsxFragmentPragma: "React.Fragment",
    production: true,
  }).code;
}

// Every pixel the same colour.
function oneColour(buffer) {
  const { data } = PNG.sync.read(buffer);
  for (let i = 4; i < data.length; i += 4) {
    if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) {
      return false;
    }
  }
  return true;
}

// A message's first line, at most 2,000 characters: a scene's error text is its own to make long.
const firstLine = (message) =>
  (String(message || "").split("\n").find((l) => l.trim()) || "unknown error").slice(0, 2000);

// Remotion's own limits: a delayRender() never cleared is a `timeout`; a page that never finishes
// rendering a frame (an endless loop keeps its thread busy) is a `hang`, as the watchdog would say.
function classify(error, stage) {
  const message = String((error && error.message) || error);
  if (/delayRender\(\)|not cleared after/i.test(message)) return ["timeout", firstLine(message)];
  if (/waiting for the page to render the React component failed|Timeout exceeded|timed out/i.test(message)) {
    return ["hang", firstLine(message)];
  }
  return [stage, firstLine(message.replace(/^Error: /, ""))];
}

async function render(request) {
  const started = Date.now();
  const replaced = new Set();
  const onBrowserLog = (log) => {
    const text = String(log.text || "");
    if (text.startsWith("template-sft:replaced-url ")) replaced.add(text.slice(26));
  };
  const result = (verdict, message, frame, files) => ({
    id: request.id,
    verdict,
    message,
    frame,
    replacedUrls: replaced.size,
    files: files || [],
    seconds: (Date.now() - started) / 1000,
  });
  let code;
  try {
    code = compile(request.code);
  } catch (error) {
    return result("compile", firstLine(error.message), null);
  }
  const inputProps = {
    code,
    exportName: request.exportName || "default",
    width: request.width,
    height: request.height,
    fps: request.fps,
    durationInFrames: request.durationInFrames,
  };
  const common = {
    serveUrl: bundleDir,
    inputProps,
    puppeteerInstance: browser,
    browserExecutable,
    // Remotion refuses less than 7 s.
    timeoutInMilliseconds: Math.max(7000, request.timeoutMs || 0),
    logLevel: "error",
    onBrowserLog,
  };
  let composition;
  try {
    composition = await selectComposition({ ...common, id: "Scene" });
  } catch (error) {
    const [verdict, message] = classify(error, "module");
    return result(verdict, message, null);
  }
  const files = [];
  let blank = true;
  for (const frame of request.frames) {
    let buffer;
    try {
      ({ buffer } = await renderStill({ ...common, composition, frame, imageFormat: "png", scale: request.scale, output: null }));
    } catch (error) {
      const [verdict, message] = classify(error, "runtime");
      return result(verdict, message, frame, files);
    }
    if (request.out) {
      const file = `${request.out}-${String(frame).padStart(5, "0")}.png`;
      writeFileSync(file, buffer);
      files.push(file);
    }
    blank = blank && oneColour(buffer);
  }
  if (blank) {
    return result("blank", `every sampled frame (${request.frames.join(", ")}) is one colour`, null, files);
  }
  return result("ok", "", null, files);
}

// Requests are taken as they come, at most `concurrency` at once; verdicts go out as they finish.
let running = 0;
const waiting = [];
function pump() {
  while (running < concurrency && waiting.length > 0) {
    const request = waiting.shift();
    running += 1;
    render(request)
      .catch((error) => ({ id: request.id, verdict: "runtime", message: firstLine(error && error.message), frame: null, replacedUrls: 0, files: [], seconds: 0 }))
      .then((verdict) => {
        say(verdict);
        running -= 1;
        pump();
      });
  }
}
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (!line.trim()) return;
  waiting.push(JSON.parse(line));
  pump();
});
lines.on("close", async () => {
  while (running > 0 || waiting.length > 0) await new Promise((r) => setTimeout(r, 50));
  await browser.close({ silent: true }).catch(() => {});
  process.exit(0);
});
