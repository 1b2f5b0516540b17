const { AbsoluteFill, useCurrentFrame, interpolate } = window.Remotion;

const LINES = ["$ npm create video@latest", "✔ Project name: launch-teaser", "✔ Installing dependencies", "$ npm run render"];
const CHARS_PER_FRAME = 0.8;

// Long enough to type every line and hold the last one: production renders 7 seconds.
export const durationInFrames = 210;

function visibleText(frame: number): string[] {
  let budget = Math.floor(frame * CHARS_PER_FRAME);
  const shown: string[] = [];
  for (const line of LINES) {
    if (budget <= 0) break;
    shown.push(line.slice(0, budget));
    budget -= line.length + 6; // a short pause after each line
  }
  return shown;
}

export default function TypewriterTerminal() {
  const frame = useCurrentFrame();
  const lines = visibleText(frame);
  const cursorOn = Math.floor(frame / 15) % 2 === 0;
  const windowScale = interpolate(frame, [0, 12], [0.92, 1], { extrapolateRight: "clamp" });

  return (
    <AbsoluteFill style={{ background: "#111827", alignItems: "center", justifyContent: "center" }}>
      <div style={{ width: 1400, borderRadius: 20, overflow: "hidden", transform: `scale(${windowScale})`, boxShadow: "0 40px 80px rgba(0,0,0,0.5)" }}>
        <div style={{ background: "#374151", padding: 18, display: "flex", gap: 12 }}>
          {["#ef4444", "#f59e0b", "#22c55e"].map((c) => (
            <div key={c} style={{ width: 22, height: 22, borderRadius: "50%", background: c }} />
          ))}
        </div>
        <div style={{ background: "#030712", padding: 48, minHeight: 520, fontFamily: "Menlo, monospace", fontSize: 44, color: "#a7f3d0" }}>
          {lines.map((line, i) => (
            <div key={i}>
              {line}
              {i === lines.length - 1 && cursorOn ? "▋" : ""}
            </div>
          ))}
        </div>
      </div>
    </AbsoluteFill>
  );
}
