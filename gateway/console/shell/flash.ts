// One-shot notices after a redirect (post/redirect/get): an action stores the outcome for the
// operator's session, the next page shows it once. Kept in memory next to the sessions.

export interface Flash {
  kind: 'success' | 'error';
  text: string;
}

export interface FlashStore {
  set(sessionId: string, flash: Flash): void;
  /** The session's notice, forgotten as it is read. */
  take(sessionId: string): Flash | undefined;
  delete(sessionId: string): void;
  clear(): void;
}

export function createFlashStore(): FlashStore {
  const flashes = new Map<string, Flash>();
  return {
    set: (sessionId, flash) => void flashes.set(sessionId, flash),
    take(sessionId) {
      const flash = flashes.get(sessionId);
      flashes.delete(sessionId);
      return flash;
    },
    delete: (sessionId) => void flashes.delete(sessionId),
    clear: () => flashes.clear(),
  };
}
