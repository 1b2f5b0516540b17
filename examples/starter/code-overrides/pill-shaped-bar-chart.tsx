const { AbsoluteFill, useCurrentFrame, useVideoConfig, spring } = window.Remotion;

type Bar = { label: string; value: number; color: string };

const BARS: Bar[] = [
  { label: "Q1", value: 42, color: "#60a5fa" },
  { label: "Q2", value: 64, color: "#34d399" },
  { label: "Q3", value: 51, color: "#fbbf24" },
  { label: "Q4", value: 88, color: "#f472b6" },
];

export default function PillShapedBarChart({ bars = BARS, title = "Revenue by quarter" }: { bars?: Bar[]; title?: string }) {
  const frame = useCurrentFrame();
  const { fps, height } = useVideoConfig();
  const max = Math.max(...bars.map((b) => b.value));
  const chartHeight = height * 0.5;

  return (
    <AbsoluteFill style={{ background: "#111827", padding: 100, flexDirection: "column" }}>
      <div style={{ color: "white", fontSize: 64, fontWeight: 700 }}>{title}</div>
      <div style={{ flex: 1, display: "flex", alignItems: "flex-end", justifyContent: "center", gap: 60 }}>
        {bars.map((bar, i) => {
          const grow = spring({ frame: frame - i * 8, fps, config: { damping: 16 } });
          return (
            <div key={bar.label} style={{ display: "flex", flexDirection: "column", alignItems: "center", gap: 16 }}>
              <div style={{ color: "white", fontSize: 36, opacity: grow }}>{Math.round(bar.value * grow)}</div>
              <div
                style={{
                  width: 120,
                  height: (bar.value / max) * chartHeight * grow,
                  borderRadius: 60,
                  background: bar.color,
                }}
              />
              <div style={{ color: "#9ca3af", fontSize: 32 }}>{bar.label}</div>
            </div>
          );
        })}
      </div>
    </AbsoluteFill>
  );
}
