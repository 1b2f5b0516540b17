// A built-in that loops in native code without calling QuickJS's interrupt handler: only the
// worker's watchdog stops it.
export const durationInFrames = [].concat({ length: 2 ** 53 - 2, [Symbol.isConcatSpreadable]: true }).length ? 90 : 90;
export default function Scene() {
  return null;
}
