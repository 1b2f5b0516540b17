const { AbsoluteFill, useCurrentFrame, useVideoConfig, interpolate, spring } = window.Remotion;

const RING_COUNT = 3;

export const durationInFrames = 5 * 30;

function Ring({ index, progress }: { index: number; progress: number }) {
  const size = 260 + index * 120;
  const rotation = progress * (120 + index * 60) * (index % 2 === 0 ? 1 : -1);
  return (
    <div
      style={{
        position: "absolute",
        width: size,
        height: size,
        borderRadius: "50%",
        border: `4px solid rgba(250, 204, 21, ${0.8 - index * 0.2})`,
        borderTopColor: "transparent",
        transform: `rotate(${rotation}deg) scale(${progress})`,
      }}
    />
  );
}

export default function OrbitLogoReveal({ brand = "ORBIT" }: { brand?: string }) {
  const frame = useCurrentFrame();
  const { fps } = useVideoConfig();
  const progress = spring({ frame, fps, config: { damping: 14, mass: 0.8 } });
  const logoOpacity = interpolate(frame, [20, 45], [0, 1], { extrapolateLeft: "clamp", extrapolateRight: "clamp" });
  const taglineY = interpolate(frame, [50, 75], [30, 0], { extrapolateLeft: "clamp", extrapolateRight: "clamp" });

  return (
    <AbsoluteFill style={{ background: "#0b1026", alignItems: "center", justifyContent: "center" }}>
      {Array.from({ length: RING_COUNT }, (_, i) => (
        <Ring key={i} index={i} progress={progress} />
      ))}
      <div style={{ opacity: logoOpacity, color: "#facc15", fontSize: 120, fontWeight: 800, letterSpacing: 12 }}>
        {brand}
      </div>
      <div
        style={{
          position: "absolute",
          bottom: "18%",
          color: "#e2e8f0",
          fontSize: 36,
          opacity: logoOpacity,
          transform: `translateY(${taglineY}px)`,
        }}
      >
        Launching into orbit
      </div>
    </AbsoluteFill>
  );
}
