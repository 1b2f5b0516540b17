const { AbsoluteFill, useCurrentFrame, useVideoConfig, interpolate, Easing } = window.Remotion;

type Stat = { label: string; value: number; suffix?: string };

const STATS: Stat[] = [
  { label: "Active users", value: 120000, suffix: "+" },
  { label: "Countries", value: 48 },
  { label: "Uptime", value: 99.9, suffix: "%" },
];

function format(value: number, target: number): string {
  return Number.isInteger(target) ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

export default function StatsCounter({ stats = STATS }: { stats?: Stat[] }) {
  const frame = useCurrentFrame();
  const { width, height } = useVideoConfig();
  const vertical = height > width;

  return (
    <AbsoluteFill
      style={{
        background: "#0f172a",
        alignItems: "center",
        justifyContent: "center",
        flexDirection: vertical ? "column" : "row",
        gap: 80,
      }}
    >
      {stats.map((stat, i) => {
        const t = interpolate(frame, [i * 10, i * 10 + 60], [0, 1], {
          extrapolateLeft: "clamp",
          extrapolateRight: "clamp",
          easing: Easing.out(Easing.cubic),
        });
        return (
          <div key={stat.label} style={{ textAlign: "center", opacity: Math.min(1, t * 3) }}>
            <div style={{ fontSize: 110, fontWeight: 800, color: "#38bdf8" }}>
              {format(stat.value * t, stat.value)}
              {stat.suffix ?? ""}
            </div>
            <div style={{ fontSize: 36, color: "#cbd5e1", marginTop: 12 }}>{stat.label}</div>
          </div>
        );
      })}
    </AbsoluteFill>
  );
}
