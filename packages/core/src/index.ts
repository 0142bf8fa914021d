export const OPEN_DECIMALS = 18;
