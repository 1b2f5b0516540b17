// Reads the icon component its host app injects (window.IconifyIcon): the project's render runtime
// (render-runtime.tsx) provides it, with the Material Design Icons collection offline.
const { AbsoluteFill, useCurrentFrame, interpolate, spring, useVideoConfig } = window.Remotion;

export const durationInFrames = 120;

const FEATURES = [
  { icon: "mdi:rocket-launch", label: "Fast" },
  { icon: "mdi:shield-check", label: "Secure" },
  { icon: "mdi:heart", label: "Loved" },
];

export default function FeatureIcons() {
  const Icon = window.IconifyIcon;
  const frame = useCurrentFrame();
  const { fps } = useVideoConfig();
  return (
    <AbsoluteFill style={{ background: "#0f172a", alignItems: "center", justifyContent: "center", gap: 48, flexDirection: "row" }}>
      {FEATURES.map((feature, i) => {
        const pop = spring({ frame: frame - i * 12, fps, config: { damping: 12 } });
        const labelOpacity = interpolate(frame, [30 + i * 12, 50 + i * 12], [0, 1], { extrapolateLeft: "clamp", extrapolateRight: "clamp" });
        return (
          <div key={feature.label} style={{ display: "flex", flexDirection: "column", alignItems: "center", transform: `scale(${pop})` }}>
            <Icon icon={feature.icon} width={180} height={180} color="#38bdf8" />
            <span style={{ color: "white", fontSize: 48, fontFamily: "sans-serif", opacity: labelOpacity }}>{feature.label}</span>
          </div>
        );
      })}
    </AbsoluteFill>
  );
}
