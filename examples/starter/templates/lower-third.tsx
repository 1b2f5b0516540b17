const { AbsoluteFill, useCurrentFrame, useVideoConfig, interpolate, spring } = window.Remotion;

export const durationInFrames = 120;

export default function LowerThird({ name = "Ada Lovelace", title = "Chief Engineer" }: { name?: string; title?: string }) {
  const frame = useCurrentFrame();
  const { fps, durationInFrames } = useVideoConfig();
  const slideIn = spring({ frame, fps, config: { damping: 18 } });
  const slideOut = interpolate(frame, [durationInFrames - 15, durationInFrames], [0, 1], {
    extrapolateLeft: "clamp",
    extrapolateRight: "clamp",
  });
  const x = interpolate(slideIn - slideOut, [0, 1], [-700, 0]);

  return (
    <AbsoluteFill>
      <div style={{ position: "absolute", left: 96, bottom: 120, transform: `translateX(${x}px)` }}>
        <div style={{ display: "flex", alignItems: "stretch" }}>
          <div style={{ width: 12, background: "#22d3ee" }} />
          <div style={{ background: "rgba(15, 23, 42, 0.92)", padding: "24px 40px" }}>
            <div style={{ color: "white", fontSize: 54, fontWeight: 700 }}>{name}</div>
            <div style={{ color: "#94a3b8", fontSize: 32, marginTop: 6 }}>{title}</div>
          </div>
        </div>
      </div>
    </AbsoluteFill>
  );
}
