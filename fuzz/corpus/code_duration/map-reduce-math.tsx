const fps = 30;
const beats = [{ f: 1.5 }, { f: 2 }, { f: Math.max(1, 2) }] as const;
const seconds = beats.map(b => b.f).reduce(function (a, b) { return a + b; });
export { total as durationInFrames };
const total = Math.round(seconds * fps) satisfies number;
