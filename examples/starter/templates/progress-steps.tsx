const { AbsoluteFill, useCurrentFrame, useVideoConfig, interpolate, spring } = window.Remotion;

const STEPS = ["Sign up", "Pick a plan", "Invite your team", "Ship it"];
// Icons by name: the host app injects an Iconify icon component (window.IconifyIcon), which the
// project's render runtime provides (render-runtime.tsx).
const ICONS = ["mdi:account-plus", "mdi:tag-outline", "mdi:account-group", "mdi:rocket-launch"];

// The scene's script: an intro, one beat per step, and a hold on the finished bar.
const SCRIPT = [
  { beat: "intro", frames: 20 },
  { beat: "steps", frames: STEPS.length * 25 },
  { beat: "hold", frames: 30 },
];
export const durationInFrames = SCRIPT.reduce((total, beat) => total + beat.frames, 0);

export default function ProgressSteps({ steps = STEPS }: { steps?: string[] }) {
  const Icon = window.IconifyIcon;
  const frame = useCurrentFrame();
  const { fps, durationInFrames } = useVideoConfig();
  const perStep = durationInFrames / (steps.length + 1);
  const fill = interpolate(frame, [0, perStep * steps.length], [0, 100], { extrapolateRight: "clamp" });

  return (
    <AbsoluteFill style={{ background: "#ecfdf5", padding: "200px 120px", flexDirection: "row", gap: 80 }}>
      <div style={{ width: 16, background: "#a7f3d0", borderRadius: 8, position: "relative" }}>
        <div style={{ position: "absolute", top: 0, width: 16, height: `${fill}%`, background: "#059669", borderRadius: 8 }} />
      </div>
      <div style={{ display: "flex", flexDirection: "column", justifyContent: "space-between", flex: 1 }}>
        {steps.map((step, i) => {
          const appear = spring({ frame: frame - i * perStep, fps, config: { damping: 15 } });
          return (
            <div key={step} style={{ opacity: appear, transform: `translateX(${(1 - appear) * 60}px)` }}>
              <div style={{ display: "flex", alignItems: "center", gap: 20, fontSize: 40, color: "#047857", fontWeight: 600 }}>
                <Icon icon={ICONS[i % ICONS.length]} width={56} height={56} color="#059669" />
                Step {i + 1}
              </div>
              <div style={{ fontSize: 76, color: "#064e3b", fontWeight: 800 }}>{step}</div>
            </div>
          );
        })}
      </div>
    </AbsoluteFill>
  );
}
