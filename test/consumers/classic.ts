// The classic example's values from real torch (README "What parity means", asserted against the
// ports in test/classic.test.ts and, for MultiLabelSoftMarginLoss, in the committed goldens): what
// every consumer of the packed tarball must print, exactly. Inputs: weight [0.8, 1, 0.8],
// x = [[0.8, 0.9, 0.3]] x 4, y = [[1, 1, 0]] x 4, reduction 'mean'.

export const CLASSIC_TORCH_VERSIONS = ['1.13.0a0', '2.14.1'] as const;

export const CLASSIC_EXPECTED = {
  '1.13.0a0': { multilabelSoftMargin: 0.4405062198638916, bceWithLogits: 0.440506249666214 },
  '2.14.1': { multilabelSoftMargin: 0.4405062198638916, bceWithLogits: 0.4405062198638916 },
} as const;
