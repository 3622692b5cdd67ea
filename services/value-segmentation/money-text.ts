// Money in evidence text, written the same way on every machine (no locale): minor units shown
// as major units with two decimals and thousands separators, e.g. 123456 → "1,234.56". Bands can
// be fractional minor units; text shows them to the cent, while decisions use the exact number.

export function formatMinor(amountMinor: number): string {
  const cents = Math.round(Math.abs(amountMinor));
  const whole = Math.floor(cents / 100);
  const fraction = String(cents % 100).padStart(2, '0');
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = amountMinor < 0 && cents > 0 ? '-' : '';
  return `${sign}${grouped}.${fraction}`;
}
