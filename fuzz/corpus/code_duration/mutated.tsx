const s = [{ f: 1 }];
s.push({ f: 2 });
s[0].f++;
delete s[0].f;
export let durationInFrames_a = s.length;
export const durationInFrames_b = s.reduce((a, x) => a + x.f, 0);
export { durationInFrames } from "./other";
