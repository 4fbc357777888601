import type { ProviderListView } from '@octo/server';
import { formatRelative, formatTime } from '../format.js';

type Late = NonNullable<ProviderListView['items'][number]['late']>;

/**
 * A provider whose files missed their deadline (its `expect:`): since when it is late, what was
 * expected, and what to do. Nothing when it is on time or expects nothing.
 */
export function LateAlert(props: { provider: string; late: Late | null }) {
  const { provider, late } = props;
  if (!late) return null;
  return (
    // role=alert: a missed delivery is the one thing on this page an operator must not miss.
    <p class="late" role="alert" data-field="late">
      <strong>Late since {formatTime(late.since)}</strong> ({formatRelative(late.since)}): expected {late.expectation}, and nothing new was ingested
      {late.windowOpenedAt ? ` since ${formatTime(late.windowOpenedAt)}` : ''}. Check that {provider} delivered, then sync it.
    </p>
  );
}
