const script_x7 = [ { type: "intro", frames: 40 }, { type: "hold", frames: 70 } ];
const totalFrames_x7 = script_x7.reduce((sum, item) => sum + item.frames, 0);
export const durationInFrames_x7 = totalFrames_x7;
