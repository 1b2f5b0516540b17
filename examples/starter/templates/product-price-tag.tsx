const { AbsoluteFill, useCurrentFrame, useVideoConfig, spring, interpolate } = window.Remotion;

export const durationInFrames = 90;

export default function ProductPriceTag({
  product = "Trail Runner 2",
  price = 89,
  oldPrice = 129,
}: {
  product?: string;
  price?: number;
  oldPrice?: number;
}) {
  const frame = useCurrentFrame();
  const { fps } = useVideoConfig();
  const pop = spring({ frame: frame - 10, fps, config: { stiffness: 180, damping: 12 } });
  const strike = interpolate(frame, [30, 45], [0, 100], { extrapolateLeft: "clamp", extrapolateRight: "clamp" });
  const discount = Math.round((1 - price / oldPrice) * 100);

  return (
    <AbsoluteFill style={{ background: "#fef3c7", alignItems: "center", justifyContent: "center", flexDirection: "column" }}>
      <div style={{ fontSize: 72, fontWeight: 800, color: "#78350f" }}>{product}</div>
      <div style={{ position: "relative", fontSize: 64, color: "#a16207", marginTop: 24 }}>
        ${oldPrice}
        <div style={{ position: "absolute", left: 0, top: "50%", height: 6, width: `${strike}%`, background: "#dc2626" }} />
      </div>
      <div
        style={{
          marginTop: 32,
          background: "#dc2626",
          color: "white",
          borderRadius: 999,
          padding: "28px 64px",
          fontSize: 120,
          fontWeight: 900,
          transform: `scale(${pop}) rotate(${(1 - pop) * 20}deg)`,
        }}
      >
        ${price}
      </div>
      <div style={{ marginTop: 28, fontSize: 40, color: "#92400e", opacity: pop }}>Save {discount}% today</div>
    </AbsoluteFill>
  );
}
