export default { test: { include: ['golden.spec.ts'] } };
