const a = [{ id: 'x', name: `n`, supportedFormats: ['square'] as const, primaryUse: 'p', ...b }];
const b = { duration: -5 };
