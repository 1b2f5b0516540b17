const { AbsoluteFill, useCurrentFrame, useVideoConfig, spring } = window.Remotion;

const WORDS = ["Design", "that", "moves", "people"];
const FRAMES_PER_WORD = 20;

export const durationInFrames = WORDS.length * FRAMES_PER_WORD + 10;

export default function KineticHeadline({ words = WORDS }: { words?: string[] }) {
  const frame = useCurrentFrame();
  const { fps, width } = useVideoConfig();
  const fontSize = Math.round(width / 9);

  return (
    <AbsoluteFill style={{ background: "#fafaf9", alignItems: "center", justifyContent: "center" }}>
      <div style={{ display: "flex", flexWrap: "wrap", justifyContent: "center", gap: fontSize * 0.3, padding: 80 }}>
        {words.map((word, i) => {
          const enter = spring({ frame: frame - i * 6, fps, config: { damping: 200 } });
          return (
            <span
              key={word + i}
              style={{
                fontSize,
                fontWeight: 900,
                color: i === words.length - 1 ? "#ea580c" : "#1c1917",
                display: "inline-block",
                opacity: enter,
                transform: `translateY(${(1 - enter) * 80}px) rotate(${(1 - enter) * -8}deg)`,
              }}
            >
              {word}
            </span>
          );
        })}
      </div>
    </AbsoluteFill>
  );
}
