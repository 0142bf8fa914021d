import { BaseError } from './errors.js';

/** OPEN has 18 decimals: one OPEN is 10^18 base units. */
export const OPEN_DECIMALS = 18;
export const OPEN = 10n ** 18n;

/**
 * Parses a decimal OPEN amount ("1", "1.5", "0.000000000000000001") into base units, exactly.
 * More than 18 decimals, signs, exponents, spaces or any other junk are errors.
 */
export function parseOpen(text: string): bigint {
  return parseUnits(text, OPEN_DECIMALS);
}

/** Parses a non-negative decimal string with at most `decimals` fraction digits into base units. */
export function parseUnits(text: string, decimals: number): bigint {
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text) ?? /^()\.(\d+)$/.exec(text);
  if (!match) {
    throw new BaseError('INVALID_AMOUNT', `invalid amount "${text}"`, {
      metaMessages: ['Write amounts as plain decimals, such as 12 or 0.5 (no sign, exponent or spaces).'],
    });
  }
  const whole = match[1] || '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    throw new BaseError('INVALID_AMOUNT', `amount "${text}" has more than ${decimals} decimals`, {
      metaMessages: [`The smallest unit is 10^-${decimals}.`],
    });
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** Formats base units as a decimal OPEN amount without trailing zeros ("1.5", "0", "-2"). */
export function formatOpen(baseUnits: bigint): string {
  return formatUnits(baseUnits, OPEN_DECIMALS);
}

export function formatUnits(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** BigInt(decimals);
  const whole = abs / unit;
  const fraction = (abs % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
