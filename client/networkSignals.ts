/** What the browser says about the network and the page, as the client reacts to it. */
export interface NetworkSignalHandlers {
  /** The browser lost its network: the connection is gone, whatever the socket believes. */
  offline(): void;
  /** The network is back: reconnect now, with a short backoff. */
  online(): void;
  /** The page became visible again (it may have slept): check the connection now. */
  visible(): void;
}

/**
 * Listens to `online`, `offline` and `visibilitychange` where they exist (browsers; nothing
 * happens in Node or a worker without them). Returns the function that stops listening.
 */
export function watchNetworkSignals(handlers: NetworkSignalHandlers): () => void {
  const target = typeof window === 'undefined' ? undefined : (window as Partial<Window>);
  if (typeof target?.addEventListener !== 'function' || typeof target.removeEventListener !== 'function') return () => undefined;
  const doc = typeof document === 'undefined' ? undefined : document;
  const onOffline = () => handlers.offline();
  const onOnline = () => handlers.online();
  const onVisibility = () => {
    if (doc?.visibilityState !== 'hidden') handlers.visible();
  };
  target.addEventListener('offline', onOffline);
  target.addEventListener('online', onOnline);
  doc?.addEventListener('visibilitychange', onVisibility);
  return () => {
    target.removeEventListener?.('offline', onOffline);
    target.removeEventListener?.('online', onOnline);
    doc?.removeEventListener('visibilitychange', onVisibility);
  };
}
