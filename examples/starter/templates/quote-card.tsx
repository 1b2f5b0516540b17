const { AbsoluteFill, useCurrentFrame, interpolate } = window.Remotion;

export const durationInFrames = 150;

type QuoteCardProps = { quote?: string; author?: string };

export default function QuoteCard({
  quote = "Simplicity is the ultimate sophistication.",
  author = "Leonardo da Vinci",
}: QuoteCardProps) {
  const frame = useCurrentFrame();
  const cardOpacity = interpolate(frame, [0, 20], [0, 1], { extrapolateRight: "clamp" });
  const charsShown = Math.floor(interpolate(frame, [15, 90], [0, quote.length], { extrapolateLeft: "clamp", extrapolateRight: "clamp" }));
  const authorOpacity = interpolate(frame, [95, 115], [0, 1], { extrapolateLeft: "clamp", extrapolateRight: "clamp" });

  return (
    <AbsoluteFill style={{ background: "#e7e5e4", alignItems: "center", justifyContent: "center", padding: 80 }}>
      <div
        style={{
          opacity: cardOpacity,
          background: "white",
          borderRadius: 32,
          padding: 72,
          boxShadow: "0 30px 60px rgba(0,0,0,0.15)",
          maxWidth: 880,
        }}
      >
        <div style={{ fontSize: 140, color: "#0d9488", lineHeight: 0.6, fontFamily: "Georgia, serif" }}>“</div>
        <p style={{ fontSize: 56, lineHeight: 1.3, color: "#292524", fontFamily: "Georgia, serif", margin: 0 }}>
          {quote.slice(0, charsShown)}
        </p>
        <p style={{ fontSize: 32, color: "#57534e", marginTop: 40, opacity: authorOpacity }}>— {author}</p>
      </div>
    </AbsoluteFill>
  );
}
