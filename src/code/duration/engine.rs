//! The sandbox that runs a module's top level: QuickJS, with limits, stubs and no way out.
//!
//! Takes a module as JavaScript (from [`super::script`]), the names of its duration exports and a
//! seed; gives each export's value after the module's top level ran, whether the computation of a
//! duration touched a stub, and whether the module asked for random numbers or the time. The engine
//! has no module loader, no file, network or process access (QuickJS's `std` and `os` modules are
//! not there), 64 MiB of memory, a 256 KiB JavaScript stack, and an interrupt handler that stops it
//! when its fuel runs out: hostile code (a doubling array, an endless loop, deep recursion) costs a
//! bounded moment, never a build. Fuel, not the clock, decides, so a verdict never depends on the
//! machine's load; the wall clock ([`SAFETY_DEADLINE`]) is only a safety net, and what it stops is
//! [`Outcome::TimedOut`] (reported as such, never cached). Some built-ins never call the interrupt
//! handler (`[].concat` of a spreadable array-like of length 2^53-2, `join` on a huge sparse array):
//! only a watchdog outside the engine stops those, which is why the tool runs this engine in a
//! worker process ([`super::worker`]) that is killed at the safety deadline.
//!
//! What a browser scene expects of its globals is replaced by inert stubs: `window`, `document`,
//! `React`, `ReactDOM`, `navigator`, `location`, `fetch`, `require` and every imported binding are
//! proxies that return more stubs for any property, call or `new`, and turn into NaN in arithmetic.
//! While a statement that declares a duration export runs (between `__measure(1)` and
//! `__measure(0)`, see [`super::exports`]), any use of a stub is recorded: a value computed from
//! a stub is not known. `Math.random`, `Date` and `performance.now` are seeded: a module that uses
//! them is run again with another seed, and a duration that changes is not determinable.
//!
//! Making a context and installing the stubs costs ten times what running a scene's top level
//! does, so each worker thread keeps one context, made once: after the stubs are installed every
//! object reachable from the global object is frozen (a module can change nothing the next one
//! sees: an assignment to a global or an intrinsic throws, as strict code does on a frozen object),
//! the sandbox's own state is reset before each module, the job queue is drained after it, and the
//! context is made anew every [`RUNS_PER_REALM`] runs (a module weighs [`MODULE_WEIGHT`]), after a
//! module ran out of memory and after one whose queued jobs did not end. A module that throws or
//! runs out of fuel leaves the realm as it was (it is frozen), so it is kept: remaking it after
//! every failed first run was 27.6% of a cold build's CPU.
//!
//! Browser globals the engine lacks (`Intl`, `TextEncoder`, typed arrays, `setTimeout`, …) are
//! stubs too, and `typeof` gives what a browser gives (`"object"` for `window` and `Intl`,
//! `"function"` for `fetch`): a feature check such as `typeof window === "undefined"` takes the
//! browser's branch, and a duration computed from one is not determinable.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::context::intrinsic::{
    Date, Eval, Json, MapSet, Promise, Proxy, RegExp, RegExpCompiler,
};
use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Function, Module, Object, Persistent, Runtime, Value,
};
use serde::{Deserialize, Serialize};

/// Memory one evaluation may use.
pub const MEMORY_LIMIT: usize = 64 << 20;
/// The JavaScript stack one evaluation may use (the workers' native stacks are far larger).
const STACK_LIMIT: usize = 256 << 10;
/// Wall-clock time after which an evaluation is stopped whatever it does: a safety net for a
/// machine under heavy load or a built-in that never yields, never the usual way an evaluation
/// ends (fuel is).
pub const SAFETY_DEADLINE: Duration = Duration::from_secs(10);
/// Interrupt checks one evaluation may pass (QuickJS checks about every 10,000 instructions; this
/// is about a second of work on one core).
pub const FUEL: u32 = 8_000;
/// Runs in one realm before it is made anew: a script leaves nothing behind, a module its compiled
/// code and bindings, so a module counts as many scripts.
const RUNS_PER_REALM: usize = 4096;
const MODULE_WEIGHT: usize = 64;

/// One export's value after the module ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Reading {
    Number(f64),
    /// One of the sandbox's stubs (an import, a browser global): its path.
    Stub(String),
    /// Not a number: what it is (`a string "90"`, `a function`, …).
    Other(String),
}

/// What running the module gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Ran {
    /// The value of each name asked for, in order.
    pub values: Vec<Reading>,
    /// The first stub a duration's computation used (`window.config.frames`), if any.
    pub stub: Option<String>,
    /// `Math.random`, `Date` or `performance.now` was used.
    pub clock_or_random: bool,
    /// … and while a duration export was computed.
    pub clock_or_random_measured: bool,
}

/// Why the module could not be run to the end.
pub(super) type Stopped = String;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Outcome {
    Ran(Ran),
    Stopped(Stopped),
    /// Stopped by the wall clock ([`SAFETY_DEADLINE`]), not by the code's own limits: what the code
    /// does is not known, and the next run may end otherwise.
    TimedOut(Stopped),
    /// The top level called a function whose body was skipped: run the whole module instead.
    Unreached,
    /// The code does not compile as a script (a top-level `await`, `import.meta`): run it as a
    /// module.
    NotAScript,
}

/// The code to run: a script that evaluates to a function returning the duration exports' values
/// in order (what almost every scene runs as: nothing of it stays once it returns), or a module
/// whose exports are read by name.
#[derive(Debug, Clone, Copy)]
pub(super) enum Code<'a> {
    Script(&'a str),
    Module(&'a str),
}

/// What an evaluation may still spend.
/// Why the interrupt handler stopped an evaluation that ran past the safety deadline.
const WALL_CLOCK: &str = "ran past the safety deadline";

struct Budget {
    deadline: Cell<Instant>,
    fuel: Cell<u32>,
    /// Why the interrupt handler stopped the evaluation.
    stopped: Cell<Option<&'static str>>,
}

struct Engine {
    /// The frozen realm modules run in, with its sandbox state, and how many modules it has run.
    /// First, so that it is dropped before the runtime it lives in (QuickJS asserts that a runtime
    /// it frees holds no live objects).
    realm: Option<(Context, Persistent<Object<'static>>, usize)>,
    runtime: Runtime,
    budget: Rc<Budget>,
}

thread_local! {
    /// One runtime per worker thread, and its realm.
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

impl Engine {
    fn new() -> Result<Engine, Stopped> {
        let runtime =
            Runtime::new().map_err(|e| format!("the JavaScript engine cannot start: {e}"))?;
        runtime.set_memory_limit(MEMORY_LIMIT);
        runtime.set_max_stack_size(STACK_LIMIT);
        let budget = Rc::new(Budget {
            deadline: Cell::new(Instant::now()),
            fuel: Cell::new(0),
            stopped: Cell::new(None),
        });
        let watched = Rc::clone(&budget);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let fuel = watched.fuel.get();
            if fuel == 0 {
                watched.stopped.set(Some("ran out of fuel"));
                return true;
            }
            watched.fuel.set(fuel - 1);
            // The clock is read once in 64 checks: it is only the safety net.
            if fuel.is_multiple_of(64) && Instant::now() > watched.deadline.get() {
                watched.stopped.set(Some(WALL_CLOCK));
                return true;
            }
            false
        })));
        Ok(Engine {
            runtime,
            budget,
            realm: None,
        })
    }

    /// A frozen realm with the stubs installed: the current one, or a new one.
    fn realm(&mut self) -> Result<(Context, Persistent<Object<'static>>, usize), Stopped> {
        if let Some((context, state, used)) = &self.realm {
            if *used < RUNS_PER_REALM {
                return Ok((context.clone(), state.clone(), *used));
            }
        }
        // A realm's set-up is trusted code: it gets its own fresh budget.
        self.arm();

        let context = Context::custom::<Intrinsics>(&self.runtime)
            .map_err(|e| format!("the JavaScript engine cannot start: {e}"))?;
        let state = context.with(|ctx| -> Result<Persistent<Object<'static>>, Stopped> {
            let prelude: Function = ctx
                .eval(PRELUDE)
                .catch(&ctx)
                .map_err(|e| caught(e, "the sandbox's prelude"))?;
            let state: Object = prelude
                .call(())
                .catch(&ctx)
                .map_err(|e| caught(e, "the sandbox's prelude"))?;
            Ok(Persistent::save(&ctx, state))
        })?;
        self.realm = Some((context.clone(), state.clone(), 0));
        Ok((context, state, 0))
    }

    /// A fresh budget for one evaluation.
    fn arm(&self) {
        self.budget.deadline.set(Instant::now() + SAFETY_DEADLINE);
        self.budget.fuel.set(FUEL);
        self.budget.stopped.set(None);
    }
}

/// What a scene's top level may use: no typed arrays, BigInt arithmetic stays, no WeakRef, no
/// performance timer of the engine's own (the sandbox brings a seeded one).
type Intrinsics = (
    Date,
    Eval,
    RegExpCompiler,
    RegExp,
    Json,
    Proxy,
    MapSet,
    Promise,
);

/// Run `code` and read the values of the duration exports `names`.
pub(super) fn run(code: Code<'_>, names: &[&str], seed: u32) -> Outcome {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let engine = match slot.as_mut() {
            Some(engine) => engine,
            None => match Engine::new() {
                Ok(engine) => slot.insert(engine),
                Err(why) => return Outcome::Stopped(why),
            },
        };
        let (context, state, used) = match engine.realm() {
            Ok(realm) => realm,
            Err(why) => {
                *slot = None;
                return Outcome::Stopped(why);
            }
        };
        engine.arm();
        let (result, unreached) = context.with(|ctx| {
            let state = match state.clone().restore(&ctx) {
                Ok(state) => state,
                Err(e) => return (Err(format!("the sandbox's state is gone: {e}")), false),
            };
            let result = reset(&ctx, &state, seed).and_then(|()| match code {
                Code::Script(js) => run_script(&ctx, &state, js),
                Code::Module(js) => run_module(&ctx, &state, js, names, used),
            });
            let unreached = state
                .get::<_, Value>("unreached")
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            (result, unreached)
        });
        // Nothing a module queued may run while the next one does: its jobs run now, within its
        // budget; a queue that does not empty retires the realm.
        let mut drained = true;
        loop {
            match engine.runtime.execute_pending_job() {
                Ok(true) => continue,
                Ok(false) => break,
                Err(_) => {
                    drained = false;
                    break;
                }
            }
        }
        let stopped = engine.budget.stopped.get();
        if let Some((_, _, n)) = &mut engine.realm {
            *n += match code {
                Code::Script(_) => 1,
                Code::Module(_) => MODULE_WEIGHT,
            };
        }
        let out_of_memory = matches!(&result, Err(why) if why.contains("out of memory"));
        if out_of_memory {
            // A runtime that ran out of memory starts afresh.
            *slot = None;
        } else if !drained {
            // A realm that left work behind is not used again; one that threw or ran out of fuel
            // is as it was (frozen), and is kept.
            engine.realm = None;
        }
        if unreached {
            return Outcome::Unreached;
        }
        let result = match result {
            Err(why) if why.starts_with(NOT_A_SCRIPT) => return Outcome::NotAScript,
            other => other,
        };
        match (result, stopped) {
            (Ok(ran), _) => Outcome::Ran(ran),
            (Err(_), Some(WALL_CLOCK)) => Outcome::TimedOut(timed_out()),
            (Err(why), Some(limit)) => Outcome::Stopped(format!(
                "running the module {limit} ({FUEL} interrupt checks, about a second of work): {why}"
            )),
            (Err(_), None) if out_of_memory => Outcome::Stopped(format!(
                "running the module needs more than {} MiB",
                MEMORY_LIMIT >> 20
            )),
            (Err(why), None) => Outcome::Stopped(why),
        }
    })
}

/// Why an evaluation stopped by the wall clock has no result.
pub(super) fn timed_out() -> Stopped {
    format!(
        "running the module was stopped by the {} s safety deadline before it ended or ran out of \
         fuel (a built-in that never yields, or a machine under heavy load); not remembered, so the \
         next build runs it again",
        SAFETY_DEADLINE.as_secs()
    )
}

/// Reset the sandbox's state for a module run with `seed`.
fn reset<'js>(ctx: &Ctx<'js>, state: &Object<'js>, seed: u32) -> Result<(), Stopped> {
    let reset: Function = state
        .get("reset")
        .catch(ctx)
        .map_err(|e| caught(e, "the sandbox's state"))?;
    reset
        .call::<_, ()>((seed,))
        .catch(ctx)
        .map_err(|e| caught(e, "the sandbox's state"))
}

/// How a script that does not compile is told apart from one that throws.
const NOT_A_SCRIPT: &str = "compiling the script";

fn run_script<'js>(ctx: &Ctx<'js>, state: &Object<'js>, js: &str) -> Result<Ran, Stopped> {
    let function: Function = ctx
        .eval(js)
        .catch(ctx)
        .map_err(|e| caught(e, NOT_A_SCRIPT))?;
    let values: rquickjs::Array = function
        .call(())
        .catch(ctx)
        .map_err(|e| caught(e, "running the module"))?;
    let values: Vec<Value<'js>> = values
        .iter()
        .collect::<rquickjs::Result<_>>()
        .catch(ctx)
        .map_err(|e| caught(e, "reading the module's exports"))?;
    ran(ctx, state, values)
}

fn run_module<'js>(
    ctx: &Ctx<'js>,
    state: &Object<'js>,
    js: &str,
    names: &[&str],
    serial: usize,
) -> Result<Ran, Stopped> {
    let declared = Module::declare(ctx.clone(), format!("scene-{serial}.js"), js)
        .catch(ctx)
        .map_err(|e| caught(e, "compiling the module"))?;
    let (module, promise) = declared
        .eval()
        .catch(ctx)
        .map_err(|e| caught(e, "running the module"))?;
    promise
        .finish::<()>()
        .catch(ctx)
        .map_err(|e| caught(e, "running the module"))?;
    let namespace = module
        .namespace()
        .catch(ctx)
        .map_err(|e| caught(e, "reading the module's exports"))?;
    let mut values = Vec::with_capacity(names.len());
    for name in names {
        values.push(
            namespace
                .get(*name)
                .catch(ctx)
                .map_err(|e| caught(e, "reading the module's exports"))?,
        );
    }
    ran(ctx, state, values)
}

/// What a run gave: the exports' values (a stub named by its path) and the sandbox's notes.
fn ran<'js>(ctx: &Ctx<'js>, state: &Object<'js>, values: Vec<Value<'js>>) -> Result<Ran, Stopped> {
    let stub_path: Function = state
        .get("stubPath")
        .catch(ctx)
        .map_err(|e| caught(e, "the sandbox's state"))?;
    let mut readings = Vec::with_capacity(values.len());
    for value in values {
        let stub: Option<String> = stub_path
            .call((value.clone(),))
            .catch(ctx)
            .map_err(|e| caught(e, "the sandbox's state"))?;
        readings.push(match stub {
            Some(path) => Reading::Stub(path),
            None => reading(&value),
        });
    }
    let get = |key: &str| -> Result<Value<'js>, Stopped> {
        state
            .get(key)
            .catch(ctx)
            .map_err(|e| caught(e, "the sandbox's state"))
    };
    Ok(Ran {
        values: readings,
        stub: get("stub")?.as_string().and_then(|s| s.to_string().ok()),
        clock_or_random: get("clock")?.as_bool().unwrap_or(false),
        clock_or_random_measured: get("clockMeasured")?.as_bool().unwrap_or(false),
    })
}

/// What a value is, for a duration.
fn reading(value: &Value<'_>) -> Reading {
    if let Some(n) = value.as_number() {
        return Reading::Number(n);
    }
    let what = if value.is_undefined() {
        "undefined".to_string()
    } else if value.is_null() {
        "null".to_string()
    } else if let Some(s) = value.as_string() {
        let text = s.to_string().unwrap_or_default();
        format!("a string {}", shorten(&format!("{text:?}"), 40))
    } else if value.is_function() {
        "a function".to_string()
    } else if value.is_bool() {
        format!("a boolean {}", value.as_bool().unwrap_or(false))
    } else if value.is_array() {
        "an array".to_string()
    } else if value.is_big_int() {
        "a BigInt".to_string()
    } else {
        "an object".to_string()
    };
    Reading::Other(what)
}

/// An error of the engine, or what the module threw, as one short line.
fn caught(error: CaughtError<'_>, doing: &str) -> Stopped {
    let text = match error {
        CaughtError::Exception(e) => {
            let message = e.message().unwrap_or_default();
            let name: Option<String> = e.get::<_, Option<String>>("name").ok().flatten();
            match name {
                Some(name) if !message.is_empty() => format!("{name}: {message}"),
                Some(name) => name,
                None => message,
            }
        }
        CaughtError::Value(v) => match v.as_string().and_then(|s| s.to_string().ok()) {
            Some(s) => format!("a thrown string {s:?}"),
            None => format!("a thrown {}", v.type_name()),
        },
        CaughtError::Error(e) => e.to_string(),
    };
    format!("{doing} throws {}", shorten(&text, 200))
}

/// `text` cut to `max` characters.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// Installs the stubs and the seeded clock, freezes the realm, and gives the object the sandbox
/// reports through (its `reset(seed)` starts a module's run).
const PRELUDE: &str = r#"(function () {
  "use strict";
  // Browser globals a scene may read or feature-test that the engine does not have.
  const OBJECTS = ["window", "self", "document", "navigator", "location", "history", "screen",
    "Intl", "crypto", "localStorage", "sessionStorage", "CSS", "visualViewport"];
  const FUNCTIONS = ["React", "ReactDOM", "fetch", "require", "setTimeout", "setInterval",
    "clearTimeout", "clearInterval", "requestAnimationFrame", "cancelAnimationFrame",
    "queueMicrotask", "structuredClone", "atob", "btoa", "getComputedStyle", "matchMedia",
    "TextEncoder", "TextDecoder", "URL", "URLSearchParams", "AbortController", "Blob", "File",
    "FileReader", "FormData", "Headers", "Request", "Response", "Image", "Audio", "Event",
    "CustomEvent", "EventTarget", "HTMLElement", "Element", "Node", "DOMParser", "XMLHttpRequest",
    "WebSocket", "Worker", "ResizeObserver", "IntersectionObserver", "MutationObserver",
    "FontFace", "OffscreenCanvas", "Path2D", "DOMMatrix", "ArrayBuffer", "SharedArrayBuffer",
    "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
    "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array",
    "BigUint64Array", "WeakRef", "FinalizationRegistry"];

  const g = globalThis;
  const state = {
    stub: null, clock: false, clockMeasured: false, measuring: false, unreached: false,
  };
  const touch = (path) => {
    if (state.measuring && state.stub === null) state.stub = path;
  };
  const name = (key) => (typeof key === "symbol" ? key.toString() : String(key));
  // A stub is a proxy of a fresh function; one handler serves them all (a handler per stub made
  // eight closures each time a scene read a property of one), and its path is the target's.
  const stubs = new WeakMap();
  const paths = new WeakMap();
  state.stubPath = (value) => stubs.get(value) ?? null;
  const handler = {
    get(target, key) {
      const path = paths.get(target);
      if (key === Symbol.toPrimitive || key === "valueOf") {
        return () => { touch(path); return NaN; };
      }
      if (key === "toString") return () => { touch(path); return ""; };
      if (key === Symbol.iterator) { touch(path); return function* () {}; }
      if (key === "then") return undefined;
      if (key === "prototype") return Reflect.get(target, key);
      const child = path + "." + name(key);
      touch(child);
      return stub(child);
    },
    apply(target) { const path = paths.get(target); touch(path + "()"); return stub(path + "()"); },
    construct(target) { const path = paths.get(target); touch("new " + path); return stub("new " + path); },
    has(target) { touch(paths.get(target)); return false; },
    set() { return true; },
    defineProperty() { return true; },
    deleteProperty() { return true; },
  };
  // `typeof` of a stub is what a browser gives: an object for `window`, a function for `fetch`.
  const stub = (path, object) => {
    const target = object ? {} : function () {};
    paths.set(target, path);
    const proxy = new Proxy(target, handler);
    stubs.set(proxy, path);
    return proxy;
  };
  for (const global of OBJECTS) g[global] = stub(global, true);
  for (const global of FUNCTIONS) g[global] = stub(global, false);
  g.__import = (source) => stub("import " + JSON.stringify(source));
  // A global the host app provides (what eval's `loads` check declares for a module that reads one).
  g.__host = (name) => stub(String(name), false);
  g.__measure = (on) => { state.measuring = on === 1; };
  g.__unreached = () => { state.unreached = true; throw new Error("a skipped function body was called"); };
  const quiet = () => undefined;
  g.console = { log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet, trace: quiet };
  // Random numbers and the time: seeded per module, and noted.
  const noteClock = () => { state.clock = true; if (state.measuring) state.clockMeasured = true; };
  let s = 0, now = 0, seed = 0;
  state.reset = (newSeed) => {
    seed = newSeed >>> 0;
    // A seed mixed well, so that nearby seeds give unrelated sequences.
    s = Math.imul((seed ^ (seed >>> 16)) >>> 0, 0x45d9f3b) >>> 0;
    s = Math.imul((s ^ (s >>> 16)) >>> 0, 0x45d9f3b) >>> 0;
    s = (s ^ (s >>> 16)) >>> 0;
    now = 1700000000000 + (seed % 1000) * 86400000 + seed;
    state.stub = null; state.clock = false; state.clockMeasured = false;
    state.measuring = false; state.unreached = false;
  };
  Math.random = function random() {
    noteClock();
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const RealDate = Date;
  class SeededDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) { noteClock(); super(now); } else { super(...args); }
    }
    static now() { noteClock(); return now; }
  }
  g.Date = SeededDate;
  g.performance = { now() { noteClock(); return seed * 1.5; } };
  // Freeze everything a module can reach, stubs aside (a proxy whose writes are ignored by design).
  const frozen = new WeakSet();
  const freeze = (o) => {
    if ((typeof o !== "object" && typeof o !== "function") || o === null) return;
    if (frozen.has(o) || stubs.has(o)) return;
    frozen.add(o);
    Object.freeze(o);
    for (const key of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d === undefined) continue;
      if ("value" in d) freeze(d.value); else { freeze(d.get); freeze(d.set); }
    }
    freeze(Object.getPrototypeOf(o));
  };
  freeze(g);
  return state;
})"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(js: &str, names: &[&str], seed: u32) -> Result<Ran, Stopped> {
        match run(Code::Module(js), names, seed) {
            Outcome::Ran(ran) => Ok(ran),
            Outcome::Stopped(why) | Outcome::TimedOut(why) => Err(why),
            Outcome::Unreached => Err("unreached".into()),
            Outcome::NotAScript => Err("not a script".into()),
        }
    }

    fn numbers(js: &str, names: &[&str]) -> Vec<Reading> {
        ran(js, names, 1).unwrap().values
    }

    #[test]
    fn the_top_level_runs_and_exports_are_read() {
        assert_eq!(
            numbers(
                "export const d = [1, 2, 3].reduce((a, b) => a + b, 0) * 10;",
                &["d"]
            ),
            [Reading::Number(60.0)]
        );
        assert_eq!(
            numbers("export const d = 'x';", &["d"]),
            [Reading::Other("a string \"x\"".into())]
        );
    }

    #[test]
    fn stubs_are_inert_and_noticed_only_while_a_duration_is_computed() {
        let js = "const { AbsoluteFill } = window.Remotion; const el = React.createElement(AbsoluteFill);\n\
                  __measure(1); export const d = 90; __measure(0);";
        let first = ran(js, &["d"], 1).unwrap();
        assert_eq!(first.values, [Reading::Number(90.0)]);
        assert_eq!(first.stub, None);
        let js = "__measure(1); export const d = window.config.frames * 2; __measure(0);";
        let second = ran(js, &["d"], 1).unwrap();
        assert!(matches!(second.values[0], Reading::Number(n) if n.is_nan()));
        assert_eq!(second.stub.as_deref(), Some("window.config"));
    }

    #[test]
    fn the_clock_and_random_numbers_are_seeded_and_noted() {
        let js = "export const d = Math.floor(Math.random() * 100);";
        let a = ran(js, &["d"], 1).unwrap();
        let b = ran(js, &["d"], 2).unwrap();
        assert!(a.clock_or_random);
        assert_ne!(a.values, b.values);
        assert_eq!(a.values, ran(js, &["d"], 1).unwrap().values);
    }

    #[test]
    fn hostile_code_stops_within_its_limits() {
        let endless = ran(
            "let i = 0; while (true) { i++; } export const d = 1;",
            &["d"],
            1,
        );
        let endless = endless.unwrap_err();
        assert!(endless.contains("ran out of fuel"), "{endless}");
        let mut doubling = String::from("const a0 = [1, 1];\n");
        for i in 1..40 {
            doubling.push_str(&format!(
                "const a{i} = [a{p}, a{p}, a{p}.flat(8)];\n",
                p = i - 1
            ));
        }
        doubling.push_str("export const d = a39.length;");
        let err = ran(&doubling, &["d"], 1).unwrap_err();
        assert!(
            err.contains("MiB") || err.contains("running the module ran"),
            "{err}"
        );
        let deep = ran(
            "const f = (n) => f(n + 1) + 1; export const d = f(0);",
            &["d"],
            1,
        );
        assert!(deep.unwrap_err().contains("throws"), "deep");
        // The engine is usable afterwards.
        assert_eq!(
            numbers("export const d = 3;", &["d"]),
            [Reading::Number(3.0)]
        );
    }

    #[test]
    fn a_skipped_body_that_is_called_asks_for_the_whole_module() {
        let js = "function f() { __unreached(); }\nlet r = 0;\ntry { r = f(); } catch (e) {}\nexport const d = 3;";
        assert_eq!(run(Code::Module(js), &["d"], 1), Outcome::Unreached);
        let script = "(function () { function f() { __unreached(); } f(); return [1]; })";
        assert_eq!(run(Code::Script(script), &["d"], 1), Outcome::Unreached);
        let awaits = "(function () { await 1; return [1]; })";
        assert_eq!(run(Code::Script(awaits), &["d"], 1), Outcome::NotAScript);
    }

    #[test]
    fn nothing_outside_the_sandbox_is_reachable() {
        for js in [
            "import * as std from 'std'; export const d = 1;",
            "export const d = typeof std === 'undefined' && typeof os === 'undefined' && typeof process === 'undefined' ? 1 : 2;",
        ] {
            let result = ran(js, &["d"], 1);
            assert!(
                matches!(&result, Ok(r) if r.values == [Reading::Number(1.0)]) || result.is_err(),
                "{js}: {result:?}"
            );
        }
    }
}
