// template-sft's render driver: one long-lived node process that renders scenes with Remotion in
// headless Chromium, each scene in a browser of its own.
//
//   node driver.mjs bundle SRC OUT            bundle SRC/entry.jsx (with SRC/page.js, SRC/host.js and
//                                             the project's runtime) into OUT, once per kit and runtime
//   node driver.mjs serve CHROMIUM N BUNDLE   read requests (JSON lines) on stdin, render up to N at
//                                             once, write progress and one verdict per request (JSON
//                                             lines) on stdout
//
// A request: {"id", "code" (TSX), "exportName", "width", "height", "fps", "durationInFrames",
// "frames": [n, …] | null, "every": n (with frames null: every n-th frame of the scene), "globals":
// [{name, via, line, column}], "scale", "timeoutMs", "out" (a file prefix for PNGs, or null)}.
// While rendering: {"progress": id, "frame"} after each frame, so template-sft's watchdog times a
// scene by its progress, not by its length. A verdict: {"id", "verdict":
// ok|compile|module|runtime|timeout|hang|blank, "message", "frame", "line", "column", "replacedUrls",
// "files", "seconds"}. template-sft also gives `hang` itself: it kills this process when a request
// makes no progress within its budget. Nothing here downloads anything: the browser is the one given.
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { transform } from "sucrase";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { PNG } from "pngjs";

// stdout carries the protocol and nothing else: whatever Remotion or the page logs goes to stderr.
const protocol = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const say = (value) => protocol(JSON.stringify(value) + "\n");

if (process.argv[2] === "bundle") {
  const [src, outDir] = process.argv.slice(3);
  const { bundle } = await import("@remotion/bundler");
  await bundle({
    entryPoint: path.join(src, "entry.jsx"),
    outDir,
    enableCaching: false,
  });
  process.exit(0);
}

if (process.argv[2] !== "serve") {
  process.stderr.write("usage: node driver.mjs bundle SRC OUT | serve CHROMIUM CONCURRENCY BUNDLE\n");
  process.exit(2);
}

// A browser closed under a page that was still busy rejects promises nobody awaits any more (a
// scene that failed in one frame leaves Remotion's other work pending): logged, never fatal, since
// each scene's verdict comes from its own render.
process.on("unhandledRejection", (error) => {
  process.stderr.write(`driver: unhandled rejection: ${(error && error.stack) || error}\n`);
});
// A scene can make Remotion's bundle server throw in a request handler (`/proxy` without its
// parameters throws "Did not get `time` parameter"): one scene must not take every other scene's
// renderer down with it. Logged; the scene's own render goes on and gets its verdict.
process.on("uncaughtException", (error) => {
  process.stderr.write(`driver: uncaught exception: ${(error && error.stack) || error}\n`);
});

const chromium = process.argv[3];
const concurrency = Math.max(1, Number(process.argv[4]) || 1);
const bundleDir = process.argv[5];

// Scene code must reach no network. In a network namespace of its own (template-sft says so in
// TEMPLATE_SFT_ISOLATION) only loopback exists; without one ("csp_only") the page's CSP covers
// requests but not navigation, popups or the servers below, so this process seals them itself.
// 1 and 2 hold in both modes, as a second wall; 3 only without a namespace.
//
// 1. Every server started here (Remotion's bundle and /proxy servers) listens on 127.0.0.1 only,
//    never on every interface, and its port is noted.
const LOOPBACK = "127.0.0.1";
const ownPorts = new Set();
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first === undefined || typeof first === "function") {
    args = [{ port: 0, host: LOOPBACK }, ...args];
  } else if (typeof first === "object" && first !== null && first.path === undefined && first.fd === undefined) {
    args = [{ ...first, host: LOOPBACK, ipv6Only: false }, ...args.slice(1)];
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback])
    const rest = args.slice(1);
    if (typeof rest[0] === "string") rest.shift();
    args = [first, LOOPBACK, ...rest];
  }
  this.once("listening", () => {
    const address = this.address();
    if (address && typeof address === "object") {
      ownPorts.add(address.port);
      this.once("close", () => ownPorts.delete(address.port));
    }
  });
  return listen.apply(this, args);
};

// 2. Remotion's /proxy downloads any URL from Node for the page (same origin, so the CSP admits
//    it): refused unless the source is this server's own origin (the bundle's files).
const ownOrigin = (server, src) => {
  const address = server.address();
  if (!address || typeof address !== "object") return false;
  try {
    const url = new URL(src, `http://${LOOPBACK}:${address.port}`);
    return url.protocol === "http:" && ["localhost", LOOPBACK, "[::1]"].includes(url.hostname) && Number(url.port) === address.port;
  } catch {
    return false;
  }
};
const createServer = http.createServer;
http.createServer = function (...args) {
  const i = args.findIndex((a) => typeof a === "function");
  if (i >= 0) {
    const handler = args[i];
    args[i] = function (request, response) {
      if (String(request.url || "").startsWith("/proxy")) {
        const src = new URL(request.url, "http://x").searchParams.get("src") || "";
        if (!ownOrigin(this, src)) {
          response.writeHead(403);
          response.end("template-sft: /proxy serves the bundle's own files only");
          return;
        }
      }
      return handler.call(this, request, response);
    };
  }
  return createServer.apply(this, args);
};

// 3. Chromium is started through a constant wrapper script; the paths reach it by environment,
//    never as code.
//    - It always rasterizes in software: raster on the GPU (SwiftShader) drew a box-shadow's blur one
//      level off once the machine was loaded, and stayed so for the rest of the browser, so a scene's
//      frames followed the machine's load (measured: every frame after the first few, under four busy
//      cores; in software they are identical, and the starter renders 17% faster).
//    - Without a namespace, the browser sends everything through a proxy of this process (loopback
//      included) that passes only requests to the servers above and refuses the rest: navigation,
//      popups, forms, WebSockets and WebRTC (only over the proxy, which refuses CONNECT) have nowhere
//      to go, and no host name is resolved. The wrapper swaps Remotion's "no proxy" flags for these.
const sealed = process.env.TEMPLATE_SFT_ISOLATION !== "namespace";
const CHROMIUM_WRAPPER = `#!/bin/sh
# template-sft: Chromium rasterizing in software and, when TEMPLATE_SFT_PROXY is set, with every
# request through the driver's proxy (loopback included).
if [ -n "$TEMPLATE_SFT_PROXY" ]; then
  for arg do
    shift
    case "$arg" in
      --no-proxy-server|--proxy-server=*|--proxy-bypass-list=*|--host-resolver-rules=*|--force-webrtc-ip-handling-policy=*) ;;
      *) set -- "$@" "$arg" ;;
    esac
  done
  set -- "$@" --proxy-server="$TEMPLATE_SFT_PROXY" "--proxy-bypass-list=<-loopback>" "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --force-webrtc-ip-handling-policy=disable_non_proxied_udp
fi
exec "$TEMPLATE_SFT_CHROMIUM" "$@" --disable-gpu-rasterization
`;
const wrapper = path.join(process.env.TMPDIR || "/tmp", "chromium.sh");
writeFileSync(wrapper, CHROMIUM_WRAPPER, { mode: 0o700 });
process.env.TEMPLATE_SFT_CHROMIUM = chromium;
delete process.env.TEMPLATE_SFT_PROXY;
const browserExecutable = wrapper;
if (sealed) {
  const proxy = createServer.call(http, (request, response) => {
    let target = null;
    try {
      target = new URL(request.url);
    } catch {}
    const port = target ? Number(target.port || 80) : 0;
    const allowed =
      target && target.protocol === "http:" && ["localhost", LOOPBACK, "[::1]"].includes(target.hostname) && ownPorts.has(port);
    if (!allowed) {
      response.writeHead(403);
      response.end();
      return;
    }
    const upstream = http.request(
      { host: LOOPBACK, port, method: request.method, path: target.pathname + target.search, headers: request.headers },
      (reply) => {
        response.writeHead(reply.statusCode || 502, reply.headers);
        reply.pipe(response);
      },
    );
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  });
  proxy.on("connect", (_request, socket) => {
    socket.on("error", () => {});
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  // Started with the original listen: the proxy is not one of the servers it passes requests to.
  await new Promise((resolve) => listen.call(proxy, 0, LOOPBACK, resolve));
  const proxyPort = proxy.address().port;
  process.env.TEMPLATE_SFT_PROXY = `http://${LOOPBACK}:${proxyPort}`;
}
const { openBrowser, selectComposition, renderStill, renderFrames } = await import("@remotion/renderer");

// Every browser open now, so that a SIGTERM (template-sft's parent-death signal, when there is no
// process namespace to take them all) closes them before the driver goes.
const browsers = new Set();
const launch = async () => {
  const browser = await openBrowser("chrome", {
    browserExecutable,
    chromiumOptions: { gl: "swangle" },
    logLevel: "error",
  });
  browsers.add(browser);
  // A page a scene opens (a popup, a link with a target) is closed by the browser as it appears:
  // it would be a page without the CSP, and it could outlive the scene. Remotion's own pages have
  // no opener.
  browser.connection.on("Target.targetCreated", ({ targetInfo }) => {
    if (targetInfo && targetInfo.openerId) {
      browser.connection.send("Target.closeTarget", { targetId: targetInfo.targetId }).catch(() => {});
    }
  });
  return browser;
};
const closeBrowser = (browser) => {
  browsers.delete(browser);
  return browser.close({ silent: true }).catch(() => {});
};
process.on("SIGTERM", async () => {
  await Promise.race([Promise.all([...browsers].map(closeBrowser)), new Promise((r) => setTimeout(r, 2000))]);
  process.exit(143);
});

// One browser is started and closed at once, so that a browser that cannot start is said before any
// scene is taken; each scene then gets a browser of its own (no popup, tab or leftover of one scene
// can slow down or break the next).
try {
  const probe = await launch();
  await closeBrowser(probe);
} catch (error) {
  say({ fatal: `cannot start ${chromium}: ${error.message}` });
  process.exit(1);
}
say({ ready: true });

// TSX → CommonJS, classic JSX: the scene runtime's own transpilation, with a source map back to the
// TSX. A syntax error is a `compile` verdict with its line and column, before any browser work.
function compile(code) {
  const result = transform(code, {
    transforms: ["typescript", "jsx", "imports"],
    jsxPragma: "React.createElement",
    jsxFragmentPragma: "React.Fragment",
    production: true,
    filePath: "scene.tsx",
    sourceMapOptions: { compiledFilename: "scene.js" },
  });
  return { code: result.code, map: new TraceMap(result.sourceMap) };
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

// A message's first line, at most 2,000 UTF-16 units: a scene's error text is its own to make long.
// The cut never splits a surrogate pair, and a lone surrogate the scene put in becomes U+FFFD: the
// verdict line must stay JSON that template-sft can read, or the scene would look like a hang.
const wellFormed = (text) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
const firstLine = (message) => {
  const line = String(message || "").split("\n").find((l) => l.trim()) || "unknown error";
  let cut = line.slice(0, 2000);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return wellFormed(cut);
};

// React's production build says "Minified React error #130; visit …?args[]=undefined&args[]=":
// the messages of the errors a scene meets (React's own wording), with their arguments filled in.
// (Its development build cannot be used: Remotion takes NODE_ENV=development for its Studio.)
const REACT_ERRORS = {
  31: "Objects are not valid as a React child (found: %s). If you meant to render a collection of children, use an array instead.",
  130: "Element type is invalid: expected a string (for built-in components) or a class/function (for composite components) but got: %s.%s",
  185: "Maximum update depth exceeded. This can happen when a component repeatedly calls setState inside componentWillUpdate or componentDidUpdate.",
  300: "Rendered fewer hooks than expected. This may be caused by an accidental early return statement.",
  301: "Too many re-renders. React limits the number of renders to prevent an infinite loop.",
  310: "Rendered more hooks than during the previous render.",
  321: "Invalid hook call. Hooks can only be called inside of the body of a function component.",
};
const UNDEFINED_COMPONENT =
  " A component is undefined: an import or a global that does not exist, or a default and a named import mixed up.";
function readableReact(message) {
  return message.replace(/Minified React error #(\d+); visit (\S+) for the full message[^.]*\.?( or use the non-minified dev environment for full errors and additional helpful warnings\.)?/, (whole, code, url) => {
    const text = REACT_ERRORS[code];
    if (!text) return whole;
    let args = [];
    try {
      args = new URL(url).searchParams.getAll("args[]");
    } catch {}
    let i = 0;
    let out = text.replace(/%s/g, () => args[i++] ?? "");
    if (code === "130" && args[0] === "undefined") out = out.replace(/\.$/, "") + "." + UNDEFINED_COMPONENT;
    return `${out} (React error #${code})`;
  });
}

// The page marks where in the transpiled code an error was thrown; this maps it to the TSX.
const AT = / @@template-sft-at (\d+):(\d+)/;
function located(message, map) {
  const at = message.match(AT);
  if (!at) return { message, line: null, column: null };
  const text = message.replace(AT, "");
  const original = map ? originalPositionFor(map, { line: Number(at[1]), column: Number(at[2]) - 1 }) : null;
  if (!original || original.line == null) return { message: text, line: Number(at[1]), column: Number(at[2]) };
  return { message: text, line: original.line, column: original.column + 1 };
}

// Remotion's own limits: a delayRender() never cleared is a `timeout`; a page that never finishes
// rendering a frame (an endless loop keeps its thread busy) is a `hang`, as the watchdog would say.
function classify(error, stage) {
  const message = String((error && error.message) || error);
  if (/delayRender\(\)|not cleared after/i.test(message)) return ["timeout", firstLine(message)];
  if (/waiting for the page to render the React component failed|Timeout exceeded|timed out/i.test(message)) {
    return ["hang", firstLine(message)];
  }
  return [stage, firstLine(readableReact(message.replace(/^Error: /, "")))];
}

async function render(request) {
  const started = Date.now();
  // The page counts the remote URLs it replaced in console lines that carry this render's secret:
  // the page reads it before any scene runs and hides it (entry.jsx), so a scene that logs the
  // same words cannot inflate the count.
  const nonce = randomUUID();
  const marker = `template-sft:replaced-url ${nonce} `;
  const replaced = new Set();
  const onBrowserLog = (log) => {
    const text = String(log.text || "");
    if (text.startsWith(marker)) replaced.add(text.slice(marker.length));
  };
  let map = null;
  // A frame that could not be written (a full disk) is the tool's failure, not the scene's: said
  // apart from the verdict, and template-sft stops with an error.
  let writeError = null;
  const result = (verdict, message, frame, files) => {
    const where = located(message, map);
    return {
      id: request.id,
      verdict,
      message: where.message,
      frame,
      line: where.line,
      column: where.column,
      replacedUrls: replaced.size,
      files: files || [],
      seconds: (Date.now() - started) / 1000,
      writeError,
    };
  };
  let code;
  try {
    ({ code, map } = compile(request.code));
  } catch (error) {
    // Sucrase names the file it was given ("Error transforming scene.tsx: "): the scene is the file.
    return result("compile", firstLine(String(error.message).replace(/^Error transforming [^:]*: /, "")), null);
  }
  const inputProps = {
    nonce,
    code,
    exportName: request.exportName || "default",
    globals: request.globals || [],
    width: request.width,
    height: request.height,
    fps: request.fps,
    durationInFrames: request.durationInFrames,
  };
  const browser = await launch();
  try {
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
    let next = 0;
    const take = (buffer, frame) => {
      if (request.out && writeError === null) {
        const file = `${request.out}-${String(frame).padStart(5, "0")}.png`;
        try {
          writeFileSync(file, buffer);
          files.push(file);
        } catch (error) {
          writeError = wellFormed(String(error.message)).slice(0, 500);
        }
      }
      blank = blank && oneColour(buffer);
      say({ progress: request.id, frame });
    };
    if (request.frames) {
      for (const frame of request.frames) {
        let buffer;
        try {
          ({ buffer } = await renderStill({ ...common, composition, frame, imageFormat: "png", scale: request.scale, output: null }));
        } catch (error) {
          const [verdict, message] = classify(error, "runtime");
          return result(verdict, message, frame, files);
        }
        take(buffer, frame);
      }
    } else {
      // Every n-th frame in one page, in order: the failing frame is the one after the last taken.
      const every = Math.max(1, request.every || 1);
      try {
        await renderFrames({
          ...common,
          composition,
          imageFormat: "png",
          scale: request.scale,
          concurrency: 1,
          everyNthFrame: every,
          frameRange: null,
          outputDir: null,
          onStart: () => {},
          onFrameUpdate: () => {},
          onFrameBuffer: (buffer, frame) => {
            take(buffer, frame);
            next = frame + every;
          },
        });
      } catch (error) {
        const [verdict, message] = classify(error, "runtime");
        const frame = Number((String(error && error.message).match(/frame (\d+)/) || [])[1] ?? next);
        return result(verdict, message, frame, files);
      }
    }
    if (blank) {
      return result("blank", `every rendered frame is one colour`, null, files);
    }
    return result("ok", "", null, files);
  } finally {
    await closeBrowser(browser);
  }
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
  process.exit(0);
});
