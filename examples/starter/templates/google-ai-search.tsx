const { AbsoluteFill, useCurrentFrame, useVideoConfig, interpolate, spring } = window.Remotion;

export const durationInFrames = 150;

const QUERY = "how do I make my videos stand out?";

export default function GoogleAiSearch({ query = QUERY }: { query?: string }) {
  const frame = useCurrentFrame();
  const { fps } = useVideoConfig();
  const typed = query.slice(0, Math.max(0, Math.floor((frame - 15) / 2)));
  const typingDone = frame > 15 + query.length * 2;
  const answer = spring({ frame: frame - (20 + query.length * 2), fps, config: { damping: 20 } });
  const barWidth = interpolate(frame, [0, 15], [600, 1200], { extrapolateRight: "clamp" });

  return (
    <AbsoluteFill style={{ background: "white", alignItems: "center", paddingTop: 220, fontFamily: "Arial, sans-serif" }}>
      <div style={{ fontSize: 110, fontWeight: 700, letterSpacing: -2 }}>
        <span style={{ color: "#4285f4" }}>S</span>
        <span style={{ color: "#ea4335" }}>e</span>
        <span style={{ color: "#fbbc05" }}>a</span>
        <span style={{ color: "#4285f4" }}>r</span>
        <span style={{ color: "#34a853" }}>c</span>
        <span style={{ color: "#ea4335" }}>h</span>
      </div>
      <div
        style={{
          marginTop: 48,
          width: barWidth,
          border: "2px solid #dfe1e5",
          borderRadius: 48,
          padding: "26px 40px",
          fontSize: 40,
          color: "#202124",
          boxShadow: typingDone ? "0 4px 12px rgba(32,33,36,0.2)" : "none",
        }}
      >
        {typed}
        <span style={{ opacity: typingDone ? 0 : 1 }}>|</span>
      </div>
      <div
        style={{
          marginTop: 56,
          width: 1200,
          opacity: answer,
          transform: `translateY(${(1 - answer) * 40}px)`,
          background: "linear-gradient(90deg, #e8f0fe, #fce8e6)",
          borderRadius: 24,
          padding: 40,
          fontSize: 34,
          color: "#3c4043",
        }}
      >
        ✦ AI overview: lead with motion, keep text short, and end on one clear call to action.
      </div>
    </AbsoluteFill>
  );
}
