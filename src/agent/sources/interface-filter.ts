/** Which interfaces count: include globs (empty = all) minus exclude globs. Default exclude: lo*. */
import picomatch from 'picomatch';

export type InterfaceFilter = (name: string) => boolean;

export function interfaceFilter(include: readonly string[], exclude: readonly string[]): InterfaceFilter {
  const inc = include.length > 0 ? picomatch([...include]) : () => true;
  const exc = exclude.length > 0 ? picomatch([...exclude]) : () => false;
  return (name) => inc(name) && !exc(name);
}
