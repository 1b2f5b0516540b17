const { AbsoluteFill, useCurrentFrame, useVideoConfig, interpolate } = window.Remotion;

// Three steps and "GO", one second each.
export const durationInFrames = (3 + 1) * 30;

export default function CountdownPortrait({ from = 3, label = "Starting soon" }: { from?: number; label?: string }) {
  const frame = useCurrentFrame();
  const { fps, durationInFrames } = useVideoConfig();
  const stepFrames = Math.floor(durationInFrames / (from + 1));
  const step = Math.min(from, Math.floor(frame / stepFrames));
  const local = frame - step * stepFrames;
  const scale = interpolate(local, [0, fps / 3], [1.6, 1], { extrapolateRight: "clamp" });
  const opacity = interpolate(local, [0, fps / 6, stepFrames - 4, stepFrames], [0, 1, 1, 0], {
    extrapolateLeft: "clamp",
    extrapolateRight: "clamp",
  });
  const value = from - step;

  return (
    <AbsoluteFill
      style={{
        background: "linear-gradient(180deg, #7c3aed 0%, #db2777 100%)",
        alignItems: "center",
        justifyContent: "center",
        flexDirection: "column",
        gap: 60,
      }}
    >
      <div style={{ color: "white", fontSize: 64, fontWeight: 600, textTransform: "uppercase", letterSpacing: 6 }}>
        {label}
      </div>
      <div
        style={{
          color: "white",
          fontSize: 420,
          fontWeight: 900,
          lineHeight: 1,
          opacity,
          transform: `scale(${scale})`,
        }}
      >
        {value > 0 ? value : "GO"}
      </div>
    </AbsoluteFill>
  );
}
