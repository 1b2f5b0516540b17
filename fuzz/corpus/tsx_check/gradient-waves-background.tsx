const { AbsoluteFill, useCurrentFrame, useVideoConfig } = window.Remotion;

const COLORS = ["#6366f1", "#ec4899", "#f59e0b"];

function wavePath(width: number, height: number, phase: number, amplitude: number, offset: number): string {
  const points: string[] = [];
  for (let x = 0; x <= width; x += width / 40) {
    const y = offset + Math.sin(x / width * Math.PI * 2 + phase) * amplitude;
    points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  return `M0,${height} L${points.join(" L")} L${width},${height} Z`;
}

export default function GradientWavesBackground() {
  const frame = useCurrentFrame();
  const { width, height, fps } = useVideoConfig();
  const t = frame / fps;

  return (
    <AbsoluteFill style={{ background: "linear-gradient(135deg, #1e1b4b, #312e81)" }}>
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
        {COLORS.map((color, i) => (
          <path
            key={color}
            d={wavePath(width, height, t * (0.6 + i * 0.25) + i, height * 0.05 * (i + 1), height * (0.55 + i * 0.12))}
            fill={color}
            opacity={0.45}
          />
        ))}
      </svg>
    </AbsoluteFill>
  );
}
