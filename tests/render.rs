//! The render check with the real thing: the render kit (Remotion, React, sucrase from npm) and
//! Debian's headless Chromium (scripts/test.sh installs both). The starter renders clean; broken
//! scenes get one verdict each, in `build`, in `eval --render` and in `render`; scene code reaches
//! no network. Nothing here is faked: a test that cannot render fails.

use crate::support;

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::{jsonl, Workdir};

/// Broken scenes, each made to get one verdict: (file stem, code, verdict, frame).
const BROKEN: [(&str, &str, &str, Option<u64>); 6] = [
    (
        "throws-at-load",
        "const { AbsoluteFill } = window.Remotion;\nexport const durationInFrames = 30;\nconst layout = window.Remotion.missingHelper();\nexport default function Scene() { return <AbsoluteFill style={{ background: \"navy\" }}>{layout}</AbsoluteFill>; }\n",
        "module",
        None,
    ),
    (
        "misspelled-api",
        "const { AbsoluteFill, useCurrentFrames } = window.Remotion;\nexport const durationInFrames = 30;\nexport default function Scene() {\n  const frame = useCurrentFrames();\n  return <AbsoluteFill style={{ background: \"navy\" }}>{frame}</AbsoluteFill>;\n}\n",
        "runtime",
        Some(0),
    ),
    (
        "throws-at-frame",
        "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport const durationInFrames = 30;\nexport default function Scene() {\n  const frame = useCurrentFrame();\n  const items = frame < 10 ? [\"a\"] : undefined;\n  return <AbsoluteFill style={{ background: \"navy\", color: \"white\" }}>{items.length}</AbsoluteFill>;\n}\n",
        "runtime",
        Some(14),
    ),
    (
        "never-ready",
        "const { AbsoluteFill, delayRender } = window.Remotion;\nexport const durationInFrames = 30;\nexport default function Scene() {\n  delayRender(\"waiting for a font that never loads\");\n  return <AbsoluteFill style={{ background: \"navy\" }} />;\n}\n",
        "timeout",
        Some(0),
    ),
    (
        "endless-loop",
        "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport const durationInFrames = 30;\nexport default function Scene() {\n  const frame = useCurrentFrame();\n  let n = 0;\n  while (frame >= 0) { n += 1; }\n  return <AbsoluteFill>{n}</AbsoluteFill>;\n}\n",
        "hang",
        None,
    ),
    (
        "draws-nothing",
        "export const durationInFrames = 30;\nexport default function Scene() {\n  return null;\n}\n",
        "blank",
        None,
    ),
];

/// The starter with the broken scenes added to its catalog and templates (square only).
fn with_broken_scenes() -> Workdir {
    let wd = Workdir::starter();
    let mut catalog: Vec<Value> = serde_json::from_str(&wd.read("catalog.json")).unwrap();
    for (id, code, _, _) in BROKEN {
        wd.write(&format!("templates/{id}.tsx"), code);
        let mut entry = catalog[0].clone();
        entry["id"] = json!(id);
        entry["name"] = json!(id.replace('-', " "));
        entry["source"] = json!({"type": "registry", "registryId": id});
        entry["duration"] = json!(30);
        entry["supportedFormats"] = json!(["square"]);
        entry["similarTo"] = json!([]);
        catalog.push(entry);
    }
    wd.write(
        "catalog.json",
        serde_json::to_string_pretty(&catalog).unwrap(),
    );
    // Short limits so the hang and the timeout do not take long.
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "\n[render]\n",
            "\n[render]\ndeadline_seconds = 15\ndelay_timeout_seconds = 7\n",
        )
    });
    wd
}

#[test]
fn build_renders_the_starter_and_rejects_each_broken_scene_with_its_verdict() {
    let wd = with_broken_scenes();
    let run = wd.ok(&["build", "--render"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let render = &stats["render"];
    // The starter's 12 templates in all their formats (21), and the 6 broken ones once each.
    assert_eq!(render["scenes"], 18, "{run}");
    assert_eq!(render["renders"], 27, "{render}");
    assert_eq!(render["verdicts"]["ok"], 21, "{render}");
    assert_eq!(render["rejected"], 6, "{render}");
    let failures = stats["sanitizerFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 6, "{failures:?}");
    for (id, _, verdict, frame) in BROKEN {
        let failure = failures
            .iter()
            .find(|f| f["templateId"] == id)
            .unwrap_or_else(|| panic!("{id} not rejected: {failures:?}"));
        assert_eq!(failure["rule"], "render", "{failure}");
        let message = failure["message"].as_str().unwrap();
        let expected = match frame {
            Some(f) => format!("{verdict} at frame {f} (square)"),
            None => format!("{verdict} (square)"),
        };
        // A hang is caught by Remotion (which names the frame) or by the watchdog (which cannot).
        let expected = if verdict == "hang" && message.starts_with("hang at frame 0 (square)") {
            "hang at frame 0 (square)".to_string()
        } else {
            expected
        };
        assert!(message.starts_with(&expected), "{id}: {message}");
        // Each rejection is also a warning at the scene's file (and at the line the error was
        // thrown at, when it came from the scene's own code).
        let warning = run
            .stderr
            .lines()
            .find(|l| l.contains(&format!("template \"{id}\" rejected (render): {expected}")))
            .unwrap_or_else(|| panic!("{id}: {run}"));
        assert!(
            warning.starts_with(&format!("warning: templates/{id}.tsx")),
            "{warning}"
        );
    }
    let message = |id: &str| {
        failures.iter().find(|f| f["templateId"] == id).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message("misspelled-api").contains("useCurrentFrames is not a function"));
    // An error thrown by the scene's own code carries its line and column in the TSX.
    assert!(
        message("throws-at-frame").starts_with("runtime at frame 14 (square), line 6:"),
        "{}",
        message("throws-at-frame")
    );
    assert!(message("throws-at-load").contains("missingHelper"));
    // No example of a rejected scene was written.
    let train = wd.read("dataset/v1/train.jsonl")
        + &wd.read("dataset/v1/validation.jsonl")
        + &wd.read("dataset/v1/test.jsonl");
    for (id, _, _, _) in BROKEN {
        assert!(!train.contains(&format!("\"templateId\":\"{id}\"")), "{id}");
    }

    // report says what the check did, in the terminal and on the page.
    let report = wd.ok(&["report", "dataset/v1", "--html", "report.html"]);
    assert!(
        report
            .stdout
            .contains("render check:    18 scenes, 27 renders (0 cached)")
            && report.stdout.contains("21 ok")
            && report.stdout.contains("; 6 rejected;"),
        "{report}"
    );
    assert!(wd
        .read("report.html")
        .contains("data-stat=\"render-rejected\">6<"));

    // The render cache keeps no verdict that may come from the machine's load (`hang`, `timeout`).
    let cache = wd.read("dataset/.template-sft-cache/render.jsonl");
    assert!(cache.contains("\"verdict\":\"runtime\""), "{cache}");
    assert!(
        !cache.contains("\"verdict\":\"hang\"") && !cache.contains("\"verdict\":\"timeout\""),
        "{cache}"
    );
    // A rebuild renders again only those two: every other verdict comes from the render cache.
    let run = wd.ok(&["build", "--render", "-v"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1-1/stats.json")).unwrap();
    assert_eq!(stats["render"]["cached"], 25, "{run}");
    assert_eq!(stats["render"]["rejected"], 6);
    // And a build without --render has its gate verdicts intact: the broken scenes are back.
    wd.ok(&["build"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1-2/stats.json")).unwrap();
    assert!(stats.get("render").is_none());
    assert_eq!(stats["sanitizerFailures"].as_array().unwrap().len(), 0);
}

#[test]
fn render_writes_frames_and_says_why_a_scene_fails() {
    let wd = Workdir::starter();
    wd.write(
        "broken.tsx",
        "export default function Scene() { return <div>{</div>; }\n",
    );
    let run = wd.fails(
        &[
            "render",
            "templates/lower-third.tsx",
            "broken.tsx",
            "--format",
            "portrait",
            "--out",
            "frames",
            "--scale",
            "0.25",
        ],
        1,
    );
    assert!(run.stdout.contains("lower-third: ok (portrait)"), "{run}");
    assert!(
        run.stdout
            .contains("broken: compile (portrait): Unexpected token"),
        "{run}"
    );
    // lower-third exports 120 frames: five evenly spaced, as PNG at a quarter of 1080×1920.
    let mut written = wd.list("frames");
    written.sort();
    assert_eq!(
        written,
        [
            "lower-third-portrait-00000.png",
            "lower-third-portrait-00029.png",
            "lower-third-portrait-00059.png",
            "lower-third-portrait-00089.png",
            "lower-third-portrait-00119.png"
        ]
    );
    // Again: the folder is taken, so the frames go to frames-1, with a warning.
    let run = wd.ok(&[
        "render",
        "templates/lower-third.tsx",
        "--format",
        "square",
        "--out",
        "frames",
    ]);
    assert!(
        run.stderr.contains("frames exists; wrote frames-1 instead"),
        "{run}"
    );
    assert_eq!(wd.list("frames-1").len(), 5);
    let png = std::fs::read(wd.path("frames/lower-third-portrait-00059.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (270, 480));
}

/// This machine's first non-loopback IPv4 address (`ip -4 -o addr show scope global`), if any.
fn machine_address() -> Option<String> {
    let out = std::process::Command::new("ip")
        .args(["-4", "-o", "addr", "show", "scope", "global"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = text
        .split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)?;
    Some(field.split('/').next()?.to_string())
}

/// TCP and UDP listeners on `host` that note anything that arrives.
struct Listeners {
    port: u16,
    udp_port: u16,
    reached: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Listeners {
    fn on(host: &str) -> Listeners {
        let tcp = TcpListener::bind((host, 0)).unwrap();
        let udp = std::net::UdpSocket::bind((host, 0)).unwrap();
        let (port, udp_port) = (
            tcp.local_addr().unwrap().port(),
            udp.local_addr().unwrap().port(),
        );
        tcp.set_nonblocking(true).unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let reached = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (r1, s1) = (Arc::clone(&reached), Arc::clone(&stop));
        let (r2, s2) = (Arc::clone(&reached), Arc::clone(&stop));
        let threads = vec![
            std::thread::spawn(move || {
                while !s1.load(Ordering::SeqCst) {
                    if let Ok((mut socket, _)) = tcp.accept() {
                        let mut buf = [0u8; 64];
                        let _ = socket.read(&mut buf);
                        r1.store(true, Ordering::SeqCst);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }),
            std::thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while !s2.load(Ordering::SeqCst) {
                    if udp.recv_from(&mut buf).is_ok() {
                        r2.store(true, Ordering::SeqCst);
                    }
                }
            }),
        ];
        Listeners {
            port,
            udp_port,
            reached,
            stop,
            threads,
        }
    }

    /// Whether anything arrived, after a late request's time to arrive.
    fn reached(mut self) -> bool {
        std::thread::sleep(Duration::from_secs(2));
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
        self.reached.load(Ordering::SeqCst)
    }
}

/// A scene that tries to reach `host`'s listeners in every way a page can.
fn nosy_scene(host: &str, port: u16, udp_port: u16) -> String {
    let url = format!("http://{host}:{port}");
    format!(
        r#"const {{ AbsoluteFill, Img, useCurrentFrame }} = window.Remotion;
fetch("{url}/module").catch(() => {{}});
fetch("https://example.com/module").catch(() => {{}});
export const durationInFrames = 30;
export default function Nosy() {{
  const frame = useCurrentFrame();
  fetch("{url}/render").catch(() => {{}});
  // Remotion's bundle server downloads any URL for /proxy: same origin, so the CSP admits it.
  fetch("/proxy?src=" + encodeURIComponent("{url}/proxy")).catch(() => {{}});
  const img = new Image(); img.src = "{url}/image";
  const frameEl = document.createElement("iframe"); frameEl.src = "{url}/iframe"; document.body.appendChild(frameEl);
  try {{ new WebSocket("ws://{host}:{port}/ws"); }} catch (e) {{}}
  navigator.sendBeacon("{url}/beacon", "x");
  const xhr = new XMLHttpRequest(); try {{ xhr.open("GET", "{url}/xhr"); xhr.send(); }} catch (e) {{}}
  // WebRTC sends UDP to a STUN server of the scene's choosing.
  try {{
    const pc = new RTCPeerConnection({{ iceServers: [{{ urls: "stun:{host}:{udp_port}" }}] }});
    pc.createDataChannel("x");
    pc.createOffer().then((o) => pc.setLocalDescription(o)).catch(() => {{}});
  }} catch (e) {{}}
  // A popup is a page without the CSP.
  try {{ window.open("{url}/popup"); }} catch (e) {{}}
  return (
    <AbsoluteFill style={{{{ background: "navy", color: "white", fontSize: 80 }}}}>
      frame {{frame}}
      <Img src="{url}/logo.png" style={{{{ width: 100, height: 100 }}}} />
      <img src="https://example.com/photo.jpg" style={{{{ width: 100, height: 100 }}}} />
    </AbsoluteFill>
  );
}}
"#
    )
}

#[test]
fn scene_code_reaches_no_network() {
    // Listeners on loopback and on the machine's own address; the scene tries to reach them by
    // fetch, XHR, WebSocket, an image, an iframe, a beacon, Remotion's /proxy, WebRTC and a popup,
    // and a second scene navigates, follows a link to a new tab, refreshes by meta and submits a
    // form. Nothing may arrive: in the renderer's own namespace, and where no namespace can be made
    // (TEMPLATE_SFT_NO_NAMESPACE), where the driver's proxy and the page's CSP are all there is.
    let mut hosts = vec!["127.0.0.1".to_string()];
    hosts.extend(machine_address());
    for no_namespace in [false, true] {
        for host in &hosts {
            let listeners = Listeners::on(host);
            let wd = Workdir::new();
            wd.write(
                "nosy.tsx",
                nosy_scene(host, listeners.port, listeners.udp_port),
            );
            wd.write("leaves.tsx", leaving_scene(host, listeners.port));
            let args = [
                "render",
                "nosy.tsx",
                "leaves.tsx",
                "--format",
                "square",
                "--json",
                "--deadline",
                "10",
            ];
            let run = if no_namespace {
                wd.run_env(&args, &[("TEMPLATE_SFT_NO_NAMESPACE", "1")])
            } else {
                wd.run(&args)
            };
            assert!(
                !listeners.reached(),
                "the scene reached {host} (no namespace: {no_namespace}): {run}"
            );
            // Without a namespace, the tool says so.
            assert_eq!(
                run.stderr
                    .contains("warning: the renderer runs without a network namespace of its own"),
                no_namespace,
                "{run}"
            );
            // The scene that stays on its page renders (the one that leaves it may fail as it
            // likes); its two remote images were swapped for the placeholder, and counted.
            let nosy = &run.json()[0]["outcome"];
            assert_eq!(nosy["verdict"], "ok", "{run}");
            assert_eq!(nosy["replacedUrls"], 2, "{run}");
        }
    }
}

/// A scene that tries to leave its page for `host:port`: a form, a link to a new tab, a meta
/// refresh and a navigation.
fn leaving_scene(host: &str, port: u16) -> String {
    let url = format!("http://{host}:{port}");
    format!(
        r#"const {{ AbsoluteFill }} = window.Remotion;
export const durationInFrames = 30;
export default function Leaves() {{
  const form = document.createElement("form"); form.method = "POST"; form.action = "{url}/form"; document.body.appendChild(form);
  const link = document.createElement("a"); link.href = "{url}/tab"; link.target = "_blank"; document.body.appendChild(link);
  const meta = document.createElement("meta"); meta.httpEquiv = "refresh"; meta.content = "0;url={url}/refresh";
  setTimeout(() => {{ try {{ link.click(); }} catch (e) {{}} }}, 5);
  setTimeout(() => {{ try {{ form.submit(); }} catch (e) {{}} }}, 10);
  setTimeout(() => {{ document.head.appendChild(meta); }}, 15);
  setTimeout(() => {{ location.href = "{url}/navigate"; }}, 20);
  return <AbsoluteFill style={{{{ background: "navy" }}}} />;
}}
"#
    )
}

#[test]
fn eval_render_scores_hand_made_predictions_exactly() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let gold = jsonl(&wd.read("dataset/v1/train.jsonl"));
    // Five examples of the train split, each answered one way.
    let take: Vec<&Value> = gold.iter().take(5).collect();
    let id = |e: &Value| {
        let m = &e["meta"];
        format!(
            "{}/{}/{}",
            m["templateId"].as_str().unwrap(),
            m["promptVariant"].as_str().unwrap(),
            m["format"].as_str().unwrap()
        )
    };
    let good = take[0]["messages"][2]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let answers = [
        ("good", good),
        (
            "runtime",
            "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport default function S() {\n  const f = useCurrentFrame();\n  const parts = undefined;\n  return <AbsoluteFill style={{ background: \"navy\" }}>{parts.length + f}</AbsoluteFill>;\n}\n".to_string(),
        ),
        (
            "misspelled",
            "const { AbsoluteFill, useCurrentFrames } = window.Remotion;\nexport default function S() {\n  const f = useCurrentFrames();\n  return <AbsoluteFill style={{ background: \"navy\" }}>{f}</AbsoluteFill>;\n}\n".to_string(),
        ),
        (
            "null",
            "export default function S() {\n  return null;\n}\n".to_string(),
        ),
        (
            "loop",
            "const { AbsoluteFill } = window.Remotion;\nexport default function S() {\n  for (;;) {}\n  return <AbsoluteFill />;\n}\n".to_string(),
        ),
    ];
    let lines: Vec<String> = take
        .iter()
        .zip(&answers)
        .map(|(e, (_, code))| json!({"custom_id": id(e), "completion": code}).to_string())
        .collect();
    wd.write("p.jsonl", lines.join("\n") + "\n");
    let run = wd.ok(&[
        "eval",
        "dataset/v1",
        "--split",
        "train",
        "--predictions",
        "p.jsonl",
        "--render",
        "--render-deadline",
        "10",
        "--json",
    ]);
    let json = run.json();
    let rows = json["predictions"]["rows"].as_array().unwrap();
    let row = |e: &Value| rows.iter().find(|r| r["id"] == id(e)).unwrap();
    let expect = [
        ("good", Some(true), Some(true), "ok"),
        ("runtime", Some(false), None, "runtime"),
        ("misspelled", Some(false), None, "runtime"),
        ("null", Some(true), Some(false), "blank"),
        ("loop", Some(false), None, "hang"),
    ];
    for (e, (name, renders, not_blank, verdict)) in take.iter().zip(expect) {
        let r = row(e);
        assert_eq!(r["checks"]["renders"].as_bool(), renders, "{name}: {r}");
        assert_eq!(r["checks"]["not_blank"].as_bool(), not_blank, "{name}: {r}");
        assert_eq!(r["render"]["verdict"], verdict, "{name}: {r}");
    }
    assert!(row(take[2])["failures"]["renders"]
        .as_str()
        .unwrap()
        .contains("useCurrentFrames is not a function"));
    // The rest of the split has no prediction: both checks fail for it.
    let missing = rows.iter().find(|r| r["status"] == "missing").unwrap();
    assert_eq!(missing["checks"]["renders"], false);
    let rate = |name: &str| {
        json["summary"]["rates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(rate("renders")["passed"], 2);
    // Rendering shows progress: in a log (stderr is not a terminal here), a line every 5 seconds.
    assert!(run.stderr.contains("rendering: "), "{run}");
    // not_blank is judged only where the output rendered: the good one and the null one.
    assert_eq!(rate("not_blank")["passed"], 1);
}

#[test]
fn a_missing_browser_or_node_is_an_error_that_says_what_to_install() {
    let wd = Workdir::starter();
    let run = wd.fails(
        &[
            "render",
            "templates/lower-third.tsx",
            "--chromium",
            "/nonexistent/chromium",
        ],
        3,
    );
    assert!(
        run.stderr
            .contains("error: render: /nonexistent/chromium: no such browser (--chromium or TEMPLATE_SFT_CHROMIUM)"),
        "{run}"
    );
    // No node on PATH: the apt packages to install, and no crash.
    let run = wd.run_env(
        &["render", "templates/lower-third.tsx"],
        &[("PATH", "/nonexistent")],
    );
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr.contains("node is not installed")
            && run.stderr.contains("apt-get install nodejs npm"),
        "{run}"
    );
}

#[test]
fn the_bundled_remotion_api_values_are_the_keys_of_the_runtime_module() {
    // The kit holds the same Remotion release the bundled API list was made from; rendering once
    // makes sure it is installed.
    let wd = Workdir::starter();
    wd.ok(&["render", "templates/lower-third.tsx", "--format", "square"]);
    let kit = template_sft::internals::render::kit::cache_root()
        .unwrap()
        .join("render-kit")
        .join(template_sft::internals::render::kit::hash());
    let out = std::process::Command::new("node")
        .args([
            "-e",
            "console.log(JSON.stringify(Object.keys(require('remotion')).sort()))",
        ])
        .current_dir(&kit)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runtime: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    let list =
        std::fs::read_to_string(support::repo_root().join("src/eval/remotion_api.txt")).unwrap();
    let mut values: Vec<String> = list
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 3 && f[0] == "remotion" && f[2] == "value").then(|| f[1].to_string())
        })
        .collect();
    values.sort();
    assert_eq!(values, runtime);
    assert!(runtime.len() > 50, "{runtime:?}");
    // The list and the kit are the same release.
    assert!(list.starts_with("# remotion 4.0.527:"));
    assert!(
        std::fs::read_to_string(support::repo_root().join("render-kit/package.json"))
            .unwrap()
            .contains("\"remotion\": \"4.0.527\"")
    );
}

/// A copy of `tests/fixtures/host-globals`: scenes that read what their host app injects.
fn host_globals() -> Workdir {
    let wd = Workdir::new();
    support::copy_dir(
        &support::repo_root().join("tests/fixtures/host-globals"),
        wd.path(""),
        &["dataset"],
    );
    wd
}

#[test]
fn scenes_that_read_host_globals_render_once_packages_and_runtime_provide_them() {
    let wd = host_globals();
    let run = wd.ok(&["build", "--render"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let render = &stats["render"];
    // An offline Iconify icon, Lucide and Heroicons components, a font loader, a map of remote
    // avatar URLs and @remotion/shapes: every scene renders, in both its formats.
    assert_eq!(render["renders"], 10, "{run}");
    assert_eq!(render["verdicts"]["ok"], 10, "{render} {run}");
    assert_eq!(render["rejected"], 0, "{render}");
    // The renderer ran in a network namespace of its own (scripts/test.sh installs what it needs).
    assert_eq!(render["isolation"], "namespace", "{render}");
    // The two avatars in two formats were swapped for the placeholder, and counted.
    assert_eq!(render["replacedUrls"], 4, "{render}");
    // The lock the kit installed from is the one committed with the project: nothing re-resolved.
    assert_eq!(
        wd.read("render-packages.lock.json"),
        std::fs::read_to_string(
            support::repo_root().join("tests/fixtures/host-globals/render-packages.lock.json")
        )
        .unwrap()
    );

    // eval renders the gold with the project's runtime when given the config: every row renders.
    let run = wd.ok(&[
        "eval",
        "dataset/v1",
        "--gold",
        "--split",
        "test",
        "--render",
        "-c",
        "template-sft.toml",
        "--json",
    ]);
    let rows = run.json()["predictions"]["rows"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row["render"]["verdict"], "ok", "{row}");
    }
    // Without it, eval says that the version was rendered with a runtime this render lacks.
    let run = wd.run(&[
        "eval",
        "dataset/v1",
        "--gold",
        "--split",
        "test",
        "--render",
    ]);
    assert!(
        run.stderr.contains("the version was built with [render] runtime \"render-runtime.tsx\" and 5 packages, which this render does not have"),
        "{run}"
    );

    // Without the runtime and the packages, each rejection names what the scene reads that the
    // page lacks.
    wd.edit("template-sft.toml", |t| {
        t[..t.rfind("[render]").unwrap()].to_string()
    });
    let run = wd.fails(&["build", "--render"], 2);
    for (id, read) in [
        ("iconify-badge", "reads window.IconifyIcon (7:16)"),
        (
            "lucide-checklist",
            "reads window.LucideIcons (9:35), window.HeroIcons (10:32)",
        ),
        ("font-title", "reads window.RemotionGoogleFonts (5:24)"),
        ("avatar-pair", "reads AVATARS (11:9)"),
        ("shapes-burst", "reads window.RemotionShapes (10:32)"),
    ] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(&format!("template \"{id}\" rejected (render)")))
            .unwrap_or_else(|| panic!("{id} not rejected: {run}"));
        assert!(
            line.contains(&format!(
                "{read}, which the render runtime does not provide ([render] runtime)"
            )),
            "{id}: {line}"
        );
        // The same failure in both formats is said once.
        assert!(line.contains("(square, landscape)"), "{id}: {line}");
    }
    // React's minified error reads in full, and an unknown import names what the kit has.
    assert!(
        run.stderr.contains("Element type is invalid") && !run.stderr.contains("Minified React"),
        "{run}"
    );
    assert!(
        run.stderr.contains("Cannot find module 'lucide-react'"),
        "{run}"
    );
}

#[test]
fn a_package_that_does_not_install_is_a_config_error_naming_it() {
    let wd = host_globals();
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "\"@heroicons/react@2.2.0\"",
            "\"@heroicons/react@99.99.99\"",
        )
    });
    let run = wd.fails(&["build", "--render"], 2);
    assert!(
        run.stderr.contains(
            "template-sft.toml: [render] packages: @heroicons/react@99.99.99 does not install"
        ),
        "{run}"
    );
    // The kept lock is left as it was.
    assert_eq!(
        wd.read("render-packages.lock.json"),
        std::fs::read_to_string(
            support::repo_root().join("tests/fixtures/host-globals/render-packages.lock.json")
        )
        .unwrap()
    );
    // A range is refused before anything is installed.
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "\"@heroicons/react@99.99.99\"",
            "\"@heroicons/react@^2.2.0\"",
        )
    });
    let run = wd.fails(&["build", "--render"], 2);
    assert!(run.stderr.contains("is not an exact version"), "{run}");
}

/// Busy loops on every core until dropped: the machine under load.
struct Load(Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>);

impl Load {
    fn start() -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = (0..cores * 2)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        x = std::hint::black_box(
                            x.wrapping_mul(6364136223846793005).wrapping_add(1),
                        );
                    }
                })
            })
            .collect();
        Load(stop, threads)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
        for t in self.1.drain(..) {
            let _ = t.join();
        }
    }
}

#[test]
fn every_frame_is_judged_by_the_code_not_by_the_machine_s_load() {
    let wd = Workdir::new();
    wd.write(
        "long-ok.tsx",
        "const { AbsoluteFill, useCurrentFrame, interpolate } = window.Remotion;\nexport const durationInFrames = 300;\nexport default function LongOk() {\n  const frame = useCurrentFrame();\n  const x = interpolate(frame, [0, 299], [0, 800]);\n  return (\n    <AbsoluteFill style={{ background: \"#0f172a\" }}>\n      <div style={{ position: \"absolute\", left: x, top: 400, width: 200, height: 200, background: \"#f43f5e\" }} />\n      <span style={{ color: \"white\", fontSize: 80 }}>{frame}</span>\n    </AbsoluteFill>\n  );\n}\n",
    );
    wd.write(
        "late-error.tsx",
        "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport const durationInFrames = 300;\nexport default function LateError() {\n  const frame = useCurrentFrame();\n  const items: string[] | undefined = frame === 113 ? undefined : [\"a\"];\n  return (\n    <AbsoluteFill style={{ background: \"#0f172a\", color: \"white\", fontSize: 80 }}>\n      {frame}: {items.length}\n    </AbsoluteFill>\n  );\n}\n",
    );
    let load = Load::start();
    let run = wd.fails(
        &[
            "render",
            "long-ok.tsx",
            "late-error.tsx",
            "--format",
            "square",
            "--frames",
            "all",
            "--scale",
            "0.25",
        ],
        1,
    );
    drop(load);
    // 300 frames take longer than the old fixed deadline on a loaded machine: still `ok`, since a
    // scene is timed by its progress.
    assert!(run.stdout.contains("long-ok: ok (square)"), "{run}");
    // The error at frame 113, between any sampled frames, is met there, with its place in the TSX.
    assert!(
        run.stdout
            .contains("late-error: runtime at frame 113 (square), line 8:23: Cannot read properties of undefined (reading 'length')"),
        "{run}"
    );
    assert!(!run.stdout.contains("hang"), "{run}");
}

#[test]
fn a_scene_s_frames_are_the_same_on_a_loaded_machine() {
    // The starter's typewriter: a window with a box-shadow, scaled in over its first frames. With
    // Chromium's raster on the (software) GPU, its shadow came out one level off once the machine
    // was loaded, so eval's motion of the gold against itself fell to 0.86.
    let wd = Workdir::new();
    let scene = std::fs::read_to_string(
        support::repo_root().join("examples/starter/templates/typewriter-terminal.tsx"),
    )
    .unwrap();
    let names = ["a", "b", "c"];
    for name in names {
        wd.write(&format!("{name}.tsx"), &scene);
    }
    let args = |files: &[&str], out: &str| -> Vec<String> {
        let mut args: Vec<String> = ["render", "--format", "landscape", "--frames", "8"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        args.extend(files.iter().map(|f| format!("{f}.tsx")));
        args.extend(["--scale", "0.25", "--concurrency", "3", "--out", out].map(String::from));
        args
    };
    let idle_run = args(&["a"], "idle");
    wd.ok(&idle_run.iter().map(String::as_str).collect::<Vec<_>>());
    let load = Load::start();
    let loaded_run = args(&names, "loaded");
    wd.ok(&loaded_run.iter().map(String::as_str).collect::<Vec<_>>());
    drop(load);
    let mut idle: Vec<_> = std::fs::read_dir(wd.path("idle"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    idle.sort();
    assert_eq!(idle.len(), 8, "{idle:?}");
    for name in names {
        for file in &idle {
            let loaded = file.replacen("a-", &format!("{name}-"), 1);
            assert!(
                std::fs::read(wd.path(&format!("idle/{file}"))).unwrap()
                    == std::fs::read(wd.path(&format!("loaded/{loaded}"))).unwrap(),
                "{loaded} differs from its render on an idle machine"
            );
        }
    }
}

#[test]
fn a_scene_that_fails_in_one_format_loses_that_format_only() {
    let wd = Workdir::new();
    wd.write(
        "template-sft.toml",
        "[catalog]\npath = \"catalog.json\"\n\n[code]\nsource = \"directory\"\ndir = \"templates\"\nextension = \"tsx\"\n",
    );
    wd.write(
        "catalog.json",
        r#"[{"id": "wide-only", "name": "Wide only", "duration": 30, "supportedFormats": ["square", "portrait"], "descriptions": ["A banner that was never laid out for portrait"], "userPhrases": ["a banner", "a wide banner", "banner please"], "primaryUse": "A banner"}]"#,
    );
    wd.write(
        "templates/wide-only.tsx",
        "const { AbsoluteFill, useVideoConfig } = window.Remotion;\nexport const durationInFrames = 30;\nexport default function WideOnly() {\n  const { width, height } = useVideoConfig();\n  if (height > width) throw new Error(\"no portrait layout\");\n  return <AbsoluteFill style={{ background: \"navy\", color: \"white\", fontSize: 80 }}>banner</AbsoluteFill>;\n}\n",
    );
    let run = wd.ok(&["build", "--render"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let render = &stats["render"];
    assert_eq!(render["rejected"], 0, "{render}");
    assert_eq!(render["formatsDropped"], 1, "{render}");
    assert!(
        run.stderr.contains("template \"wide-only\" loses a format (render): runtime at frame 0 (portrait), line 5:"),
        "{run}"
    );
    // Every brief went to the format that renders.
    let examples = wd.read("dataset/v1/train.meta.jsonl")
        + &wd.read("dataset/v1/validation.meta.jsonl")
        + &wd.read("dataset/v1/test.meta.jsonl");
    let metas = jsonl(&examples);
    assert!(!metas.is_empty(), "{run}");
    for line in metas {
        assert_eq!(line["meta"]["format"], "square", "{line}");
    }
}

#[test]
fn a_full_frame_remote_photo_is_not_judged_blank() {
    // The render is offline: the photo becomes a placeholder, a checkerboard, so the scene still
    // draws something; a failing scene would say that a URL was replaced.
    let wd = Workdir::new();
    wd.write(
        "photo.tsx",
        "const { AbsoluteFill, Img } = window.Remotion;\nexport const durationInFrames = 30;\nexport default function Photo() {\n  return <AbsoluteFill><Img src=\"https://cdn.example.com/hero.jpg\" style={{ width: \"100%\", height: \"100%\" }} /></AbsoluteFill>;\n}\n",
    );
    let run = wd.ok(&["render", "photo.tsx", "--format", "square", "--json"]);
    let outcome = &run.json()[0]["outcome"];
    assert_eq!(outcome["verdict"], "ok", "{run}");
    assert_eq!(outcome["replacedUrls"], 1, "{run}");
}

/// Processes whose `TMPDIR` is `marker` or a folder in it (every process the tool starts inherits
/// the tool's, or is given a private folder in it): their command lines.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let needle = format!("TMPDIR={marker}");
        if environ
            .split(|&b| b == 0)
            .any(|var| var.starts_with(needle.as_bytes()))
        {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(String::from_utf8_lossy(&cmdline).replace('\0', " "));
        }
    }
    found
}

/// A scene that renders slowly enough to be interrupted.
const SLOW: &str = "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport const durationInFrames = 600;\nexport default function Slow() {\n  const frame = useCurrentFrame();\n  const until = Date.now() + 200;\n  while (Date.now() < until) {}\n  return <AbsoluteFill style={{ background: \"#0f172a\", color: \"white\", fontSize: 80 }}>{frame}</AbsoluteFill>;\n}\n";

#[test]
fn an_interrupted_render_leaves_no_process_no_temporary_folder_and_no_frames() {
    for (signal, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGKILL, -1),
    ] {
        let wd = Workdir::new();
        wd.write("slow.tsx", SLOW);
        std::fs::create_dir(wd.path("tmp")).unwrap();
        let tmp = wd.path("tmp").display().to_string();
        let mut child = wd
            .command(&[
                "render", "slow.tsx", "--format", "square", "--frames", "all", "--out", "frames",
            ])
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the browser.
        let started = std::time::Instant::now();
        while !processes_with(&tmp).iter().any(|c| c.contains("chrom")) {
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("no browser started");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // SAFETY: kill(2) of our own child.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        if code > 0 {
            assert_eq!(status.code(), Some(code), "{stderr}");
            assert!(stderr.contains("interrupted"), "{stderr}");
        }
        // Everything it started is gone (the parent-death signal, when it was killed outright).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !processes_with(&tmp).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            processes_with(&tmp),
            Vec::<String>::new(),
            "signal {signal}"
        );
        if code > 0 {
            assert_eq!(wd.list("tmp"), Vec::<String>::new(), "signal {signal}");
            assert!(
                !wd.path("frames").exists(),
                "signal {signal}: partial frames"
            );
        } else {
            // Killed outright, it could not clean up: the next run removes its folder.
            assert_eq!(wd.list("tmp").len(), 1);
            wd.write("ok.tsx", "const { AbsoluteFill } = window.Remotion;\nexport const durationInFrames = 2;\nexport default () => <AbsoluteFill style={{ background: \"red\", fontSize: 200 }}>ok</AbsoluteFill>;\n");
            let run = wd.run_env(
                &["render", "ok.tsx", "--format", "square", "--frames", "1"],
                &[("TMPDIR", &tmp)],
            );
            assert_eq!(run.code, Some(0), "{run}");
            assert_eq!(wd.list("tmp"), Vec::<String>::new());
        }
    }
}

#[test]
fn a_hang_leaves_no_temporary_folder() {
    let wd = Workdir::new();
    wd.write("endless.tsx", "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport const durationInFrames = 30;\nexport default function Endless() {\n  const frame = useCurrentFrame();\n  if (frame > 0) { while (true) {} }\n  return <AbsoluteFill style={{ background: \"blue\" }} />;\n}\n");
    std::fs::create_dir(wd.path("tmp")).unwrap();
    let tmp = wd.path("tmp").display().to_string();
    let run = wd.run_env(
        &[
            "render",
            "endless.tsx",
            "--format",
            "square",
            "--deadline",
            "5",
        ],
        &[("TMPDIR", &tmp)],
    );
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stdout.contains("endless: hang (square)"), "{run}");
    assert_eq!(wd.list("tmp"), Vec::<String>::new(), "{run}");
}

#[test]
fn a_scene_that_takes_too_much_memory_is_memory_and_does_not_take_another_down() {
    let wd = Workdir::new();
    wd.write(
        "template-sft.toml",
        "[catalog]\npath = \"catalog.json\"\n[code]\nsource = \"directory\"\ndir = \".\"\n[render]\nmemory_mib = 400\n",
    );
    wd.write("catalog.json", "[]");
    wd.write("greedy.tsx", "const { AbsoluteFill } = window.Remotion;\nexport const durationInFrames = 30;\nconst kept = [];\nexport default function Greedy() {\n  for (let i = 0; i < 64; i++) kept.push(new Float64Array(1 << 24).fill(i));\n  return <AbsoluteFill style={{ background: \"red\" }}>{kept.length}</AbsoluteFill>;\n}\n");
    wd.write("fine.tsx", "const { AbsoluteFill } = window.Remotion;\nexport const durationInFrames = 30;\nexport default () => <AbsoluteFill style={{ background: \"green\" }}>fine</AbsoluteFill>;\n");
    let run = wd.run(&[
        "render",
        "greedy.tsx",
        "fine.tsx",
        "--format",
        "square",
        "-c",
        "template-sft.toml",
        "--json",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    let rows = run.json();
    let verdict = |scene: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["scene"] == scene)
            .map(|r| r["outcome"].clone())
            .unwrap()
    };
    let greedy = verdict("greedy");
    assert_eq!(greedy["verdict"], "memory", "{run}");
    let message = greedy["message"].as_str().unwrap();
    assert!(message.contains("over its limit of 912 MiB"), "{message}");
    assert!(message.contains("again when rendered alone"), "{message}");
    assert_eq!(verdict("fine")["verdict"], "ok", "{run}");
}

#[test]
fn two_scenes_with_one_file_name_write_their_frames_under_two_names() {
    let wd = Workdir::new();
    for (dir, colour) in [("a", "red"), ("b", "blue")] {
        wd.write(
            &format!("{dir}/intro.tsx"),
            format!("const {{ AbsoluteFill }} = window.Remotion;\nexport const durationInFrames = 2;\nexport default () => <AbsoluteFill style={{{{ background: \"{colour}\", color: \"white\", fontSize: 200 }}}}>{dir}</AbsoluteFill>;\n"),
        );
    }
    wd.ok(&[
        "render",
        "a/intro.tsx",
        "b/intro.tsx",
        "--format",
        "square",
        "--frames",
        "1",
        "--out",
        "frames",
    ]);
    let mut files = wd.list("frames");
    files.sort();
    assert_eq!(
        files,
        ["intro-2-square-00000.png", "intro-square-00000.png"]
    );
    assert_ne!(
        std::fs::read(wd.path("frames/intro-square-00000.png")).unwrap(),
        std::fs::read(wd.path("frames/intro-2-square-00000.png")).unwrap()
    );
}

#[test]
fn a_full_disk_under_render_out_is_a_tool_error_and_leaves_no_files() {
    let wd = Workdir::new();
    wd.write("scene.tsx", "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport const durationInFrames = 60;\nexport default function S() {\n  const f = useCurrentFrame();\n  return <AbsoluteFill style={{ background: `hsl(${f * 6}, 80%, 50%)`, fontSize: 120 }}>{f}</AbsoluteFill>;\n}\n");
    std::fs::create_dir(wd.path("disk")).unwrap();
    // A 16 KiB file system of its own (a tmpfs in a mount namespace): full after a frame or two.
    let script = format!(
        "mount -t tmpfs -o size=16k none disk && \"{}\" render scene.tsx --format square --frames 8 --scale 1 --out disk/frames; echo \"exit=$?\"; ls -A disk",
        env!("CARGO_BIN_EXE_template-sft")
    );
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .current_dir(wd.path(""))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("exit=3") || stdout.contains("exit=1"),
        "{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("scene: "),
        "no verdict blames the scene: {stdout}"
    );
    assert!(
        stderr.contains("disk/frames") && stderr.to_lowercase().contains("no space left on device"),
        "{stderr}"
    );
    // Nothing is left on the disk: the frames folder was removed.
    assert_eq!(
        stdout.lines().last(),
        Some(stdout.lines().find(|l| l.starts_with("exit=")).unwrap()),
        "{stdout}"
    );
}

#[test]
fn a_relative_browser_path_is_the_one_that_runs() {
    let wd = Workdir::new();
    wd.write("ok.tsx", "const { AbsoluteFill } = window.Remotion;\nexport const durationInFrames = 2;\nexport default () => <AbsoluteFill style={{ background: \"red\", fontSize: 200 }}>ok</AbsoluteFill>;\n");
    std::fs::create_dir(wd.path("bin")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/chromium-headless-shell", wd.path("bin/browser")).unwrap();
    let run = wd.run(&[
        "render",
        "ok.tsx",
        "--format",
        "square",
        "--frames",
        "1",
        "--chromium",
        "bin/browser",
    ]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("ok: ok (square)"), "{run}");
}

#[test]
fn a_long_message_cut_inside_a_surrogate_pair_is_still_a_verdict() {
    let wd = Workdir::new();
    // A lone surrogate of the scene's own, then emoji (two UTF-16 units each) past the 2,000-unit
    // cut: one of the two scenes (one unit apart) has the cut fall inside a pair.
    for (name, pad) in [("even", 1990), ("odd", 1991)] {
        wd.write(
            &format!("{name}.tsx"),
            format!("const {{ AbsoluteFill }} = window.Remotion;\nexport const durationInFrames = 2;\nexport default function Long() {{\n  throw new Error(\"x\".repeat({pad}) + \"\\ud800 \" + \"\\u{{1F600}}\".repeat(40));\n  return <AbsoluteFill />;\n}}\n"),
        );
    }
    let run = wd.run(&[
        "render", "even.tsx", "odd.tsx", "--format", "square", "--frames", "1", "--json",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    for row in run.json().as_array().unwrap() {
        let outcome = &row["outcome"];
        assert_eq!(outcome["verdict"], "runtime", "{run}");
        let message = outcome["message"].as_str().unwrap();
        assert!(message.contains("xxxx\u{fffd} \u{1F600}"), "{message}");
    }
}

#[test]
fn the_replaced_url_count_cannot_be_forged_from_the_console() {
    let wd = Workdir::new();
    // One real remote image, and forged count lines: plain, with whatever the scene can find of the
    // input props, and through a console.log of its own.
    wd.write(
        "forger.tsx",
        "const { AbsoluteFill, Img, getInputProps, useVideoConfig } = window.Remotion;\nexport const durationInFrames = 2;\nexport default function Forger() {\n  const props: any = { ...getInputProps(), ...(useVideoConfig() as any).props };\n  const original = console.log;\n  console.log = (...args: any[]) => { original('template-sft:replaced-url ' + String(args[0]).split(' ')[1] + ' https://stolen/'); original(...args); };\n  for (let i = 0; i < 5; i++) {\n    original('template-sft:replaced-url https://forged/' + i);\n    original('template-sft:replaced-url ' + props.nonce + ' https://forged/' + i);\n  }\n  return <AbsoluteFill style={{ background: 'white' }}><Img src=\"https://cdn.example.com/a.jpg\" style={{ width: 300, height: 300 }} /></AbsoluteFill>;\n}\n",
    );
    let run = wd.ok(&[
        "render",
        "forger.tsx",
        "--format",
        "square",
        "--frames",
        "1",
        "--json",
    ]);
    let outcome = &run.json()[0]["outcome"];
    assert_eq!(outcome["verdict"], "ok", "{run}");
    assert_eq!(outcome["replacedUrls"], 1, "{run}");
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    assert!(n > 0);
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[test]
fn appearance_and_motion_move_with_the_planted_perturbation() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let gold = jsonl(&wd.read("dataset/v1/train.jsonl"));
    // One example per template (the others go unanswered: they are not rendered).
    let mut seen = std::collections::HashSet::new();
    let examples: Vec<&Value> = gold
        .iter()
        .filter(|e| seen.insert(e["meta"]["templateId"].as_str().unwrap().to_string()))
        .collect();
    assert!(examples.len() >= 10);
    let id = |e: &Value| {
        let m = &e["meta"];
        format!(
            "{}/{}/{}",
            m["templateId"].as_str().unwrap(),
            m["promptVariant"].as_str().unwrap(),
            m["format"].as_str().unwrap()
        )
    };
    let code = |e: &Value| e["messages"][2]["content"].as_str().unwrap().to_string();
    let write = |name: &str, answer: &dyn Fn(usize) -> String| {
        let lines: String = examples
            .iter()
            .enumerate()
            .map(|(i, e)| json!({"custom_id": id(e), "completion": answer(i)}).to_string() + "\n")
            .collect();
        wd.write(name, lines);
    };
    // Another template's code; the gold holding its first frame; recoloured (a hue rotation keeps
    // the luminance, so the motion stays); moving 20 frames late.
    write("other.jsonl", &|i| code(examples[(i + 1) % examples.len()]));
    write("held.jsonl", &|i| {
        code(examples[i]).replace("useCurrentFrame()", "(useCurrentFrame() * 0)")
    });
    write("colour.jsonl", &|i| {
        code(examples[i]) + "\ndocument.documentElement.style.filter = \"hue-rotate(150deg)\";\n"
    });
    write("shift.jsonl", &|i| {
        code(examples[i]).replace("useCurrentFrame()", "Math.max(0, useCurrentFrame() - 20)")
    });
    let scores = |predictions: &str, baseline: &str| {
        let e = wd
            .ok(&[
                "eval",
                "dataset/v1",
                "--split",
                "train",
                "--render",
                "-c",
                "template-sft.toml",
                "--predictions",
                predictions,
                "--baseline",
                baseline,
                "--json",
            ])
            .json();
        let of = |rows: &Value| -> (Vec<f64>, Vec<f64>) {
            let answered: Vec<&Value> = rows
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] == "scored")
                .collect();
            assert_eq!(answered.len(), examples.len());
            (
                answered
                    .iter()
                    .map(|r| r["appearance"].as_f64().unwrap())
                    .collect(),
                answered
                    .iter()
                    .map(|r| r["motion"].as_f64().unwrap())
                    .collect(),
            )
        };
        (of(&e["predictions"]["rows"]), of(&e["baseline"]["rows"]), e)
    };
    let ((other_a, _), (_, held_m), e) = scores("other.jsonl", "held.jsonl");
    assert!(
        median(other_a.clone()) < 0.9,
        "another template's code: {other_a:?}"
    );
    // The gold moves between every pair of sampled frames of these scenes at least once: holding
    // the first frame takes at least 0.2 off its motion (1 for the gold itself).
    for m in &held_m {
        assert!(*m <= 0.8, "held first frame: {held_m:?}");
    }
    assert!(e["summary"]["appearance"]["value"].as_f64().is_some());
    assert!(e["comparison"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "motion"));
    let ((colour_a, colour_m), (shift_a, shift_m), _) = scores("colour.jsonl", "shift.jsonl");
    assert!(median(colour_a.clone()) < 0.9, "recoloured: {colour_a:?}");
    assert!(median(colour_m.clone()) > 0.8, "recoloured: {colour_m:?}");
    assert!(median(shift_m.clone()) < 0.5, "late: {shift_m:?}");
    assert!(median(shift_a.clone()) > 0.9, "late: {shift_a:?}");
    // The gold against itself: 1 on both, up to the browser's own noise between two renders of one
    // scene (0.99993 measured: text antialiasing).
    let e = wd
        .ok(&[
            "eval",
            "dataset/v1",
            "--gold",
            "--render",
            "-c",
            "template-sft.toml",
            "--json",
        ])
        .json();
    for score in ["appearance", "motion"] {
        let value = e["summary"][score]["value"].as_f64().unwrap();
        assert!(value > 0.999, "{score} {value}");
    }
}

#[test]
fn a_planted_driver_in_the_kit_cache_never_runs() {
    let wd = Workdir::new();
    wd.write("ok.tsx", "const { AbsoluteFill } = window.Remotion;\nexport const durationInFrames = 2;\nexport default () => <AbsoluteFill style={{ background: \"red\", fontSize: 200 }}>ok</AbsoluteFill>;\n");
    let args = ["render", "ok.tsx", "--format", "square", "--frames", "1"];
    // The kit this binary installs (installed now if it is not there yet).
    wd.ok(&args);
    let cache = template_sft_cache();
    let files = [
        "driver.mjs",
        "entry.jsx",
        "page.js",
        "package.json",
        "package-lock.json",
    ];
    let ours = |dir: &std::path::Path| {
        files.iter().all(|f| {
            std::fs::read(dir.join(f)).ok()
                == std::fs::read(support::repo_root().join("render-kit").join(f)).ok()
        })
    };
    let kit = std::fs::read_dir(cache.join("render-kit"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| ours(p))
        .expect("the installed kit");
    // A copy of it in another cache, its driver replaced by one that leaves a mark.
    let other = wd.path("cache");
    let planted = other.join("render-kit").join(kit.file_name().unwrap());
    std::fs::create_dir_all(other.join("render-kit")).unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(&kit)
        .arg(&planted)
        .status()
        .unwrap();
    assert!(copied.success());
    let mark = wd.path("planted-ran");
    std::fs::write(
        planted.join("driver.mjs"),
        format!("import {{ writeFileSync }} from \"node:fs\";\nwriteFileSync({:?}, \"yes\");\nprocess.exit(1);\n", mark.display().to_string()),
    )
    .unwrap();
    let run = wd.run_env(&args, &[("TEMPLATE_SFT_CACHE", other.to_str().unwrap())]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(!mark.exists(), "the planted driver ran");
    assert!(
        run.stderr
            .contains("is not this binary's; installing the kit again"),
        "{run}"
    );
    assert!(ours(&planted));
    // A kit named on the command line that is not this binary's is an error.
    std::fs::write(planted.join("driver.mjs"), "process.exit(1);\n").unwrap();
    let run = wd.run(&[&args[..], &["--render-kit", planted.to_str().unwrap()]].concat());
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr
            .contains("the render kit's driver.mjs is not this template-sft's"),
        "{run}"
    );
    assert!(!mark.exists());
}

/// The user's cache folder, as the tool finds it.
fn template_sft_cache() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("TEMPLATE_SFT_CACHE") {
        return dir.into();
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return std::path::PathBuf::from(dir).join("template-sft");
    }
    std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/template-sft")
}

#[test]
fn kept_frames_are_in_the_version_and_the_report_shows_them() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace("[render]\n", "[render]\nkeep_frames = true\n")
    });
    wd.ok(&["build", "--render"]);
    // Five thumbnails of each of the 21 scene-formats, listed in the manifest (the version
    // verifies).
    let frames = wd.list("dataset/v1/frames");
    assert_eq!(frames.len(), 21 * 5, "{frames:?}");
    assert!(frames.contains(&"quote-card-square-0.png".to_string()));
    let manifest: Value = serde_json::from_str(&wd.read("dataset/v1/manifest.json")).unwrap();
    let listed = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"].as_str().unwrap().starts_with("frames/"))
        .count();
    assert_eq!(listed, 21 * 5);
    let png = std::fs::read(wd.path("dataset/v1/frames/quote-card-square-0.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(height <= 120, "{height}");
    let run = wd.ok(&["validate", "dataset/v1"]);
    assert!(run.stdout.contains("0 error(s)"), "{run}");
    wd.ok(&["report", "dataset/v1", "--html", "report.html"]);
    let html = wd.read("report.html");
    assert!(html.contains("id=\"contact-sheet\""));
    assert_eq!(
        html.matches("<img alt=\"quote-card-square frame\"").count(),
        5
    );
    assert_eq!(html.matches("data:image/png;base64,").count(), 21 * 5);
}
