// Display names of peer ids for one response: each id is looked up in the store once, this peer's
// own name is known, and an unknown or failing lookup shows no name (the id is shown anyway).
import type { ConsoleOptions } from '../../types.ts';

export function peerNames(store: ConsoleOptions['store'], self: { id: string; name: string }): (id: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>([[self.id, Promise.resolve(self.name)]]);
  return (id) => {
    let hit = cache.get(id);
    if (hit === undefined) {
      hit = store.getPeer(id).then(
        (p) => p?.name ?? '',
        () => '',
      );
      cache.set(id, hit);
    }
    return hit;
  };
}
