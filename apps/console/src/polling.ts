import { useEffect, useRef } from 'preact/hooks';

/**
 * Runs `load` now and every `everyMs` while the page is visible (a hidden tab asks nothing), and
 * never two at once: the operator's screen stays current without flooding the API.
 */
export function usePolling(load: () => Promise<void>, everyMs: number, deps: readonly unknown[] = []): void {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let stopped = false;
    let running = false;
    const tick = async () => {
      if (stopped || running || document.visibilityState === 'hidden') return;
      running = true;
      try {
        await latest.current();
      } finally {
        running = false;
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), everyMs);
    const onVisible = () => void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [everyMs, ...deps]);
}
