import { sweepRunFolders, runOwnerGone } from '../jobs/run-folder.js';
import type { Ledger } from '../ports/ledger.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { ObjectStore, OpenStagedState } from '../ports/object-store.js';
import { CommitIntents, finishCommit, rollBack, type CommitIntent } from './commit-intent.js';
import { RunRegistry, runIsDead, type RegisteredRun } from './run-registry.js';

/** One thing recovery did, as logged. */
export interface RecoveryAction {
  readonly action: 'rolled-forward' | 'rolled-back' | 'dropped-intent' | 'kept-intent' | 'aborted-upload' | 'removed-staging' | 'removed-temp';
  /** The source file, for intents; the key or folder otherwise. */
  readonly target: string;
  readonly detail: string;
}

/** What recovery needs: the provider's store, ledger and work folder. */
export interface RecoveryDeps {
  readonly provider: string;
  readonly store: ObjectStore;
  readonly ledger: Ledger;
  /** The provider's folder for temporary files (where run folders live). */
  readonly tempDir: string;
  readonly logger?: Logger;
}

/**
 * What a run of a provider does before it lists new files, holding the provider lock:
 * finishes the commit intents of dead runs (roll forward through the normal commit path, or
 * roll back when an output's staged bytes are gone), aborts the uploads and removes the
 * staging folders that dead runs left and no intent needs, and removes dead runs' temp folders.
 * A run is dead when it ran on this host and its pid is gone, or its heartbeat is older than
 * its lease. Live runs (on other machines, or of other providers sharing the bucket) are left alone.
 */
export class Recovery {
  private readonly intents: CommitIntents;
  private readonly registry: RunRegistry;
  private readonly logger: Logger;

  constructor(private readonly deps: RecoveryDeps) {
    this.intents = new CommitIntents(deps.store);
    this.registry = new RunRegistry(deps.store);
    this.logger = deps.logger ?? silentLogger;
  }

  /** Runs recovery for the run `runId` (already registered); returns what it did. */
  async run(runId: string): Promise<RecoveryAction[]> {
    const actions: RecoveryAction[] = [];
    const note = (action: RecoveryAction) => {
      actions.push(action);
      // A warning: each action repairs what a crash left, and an operator should see that it happened.
      this.logger.warn(`recovery: ${action.action} ${action.target}: ${action.detail}`, { provider: this.deps.provider });
    };
    const runs = (await this.registry.list()).filter((run) => run.runId !== runId);
    const live = runs.filter((run) => !runIsDead(run));
    const dead = runs.filter((run) => run.provider === this.deps.provider && runIsDead(run));
    const liveIds = new Set(live.map((run) => run.runId));

    // Runs whose intents are not settled keep their staged state for the next try.
    const unsettled = new Set<string>();
    const keptRefs = new Set<string>();
    for (const found of await this.intents.list(this.deps.provider)) {
      if (!found.intent) {
        // An intent cut short was written before anything became visible: nothing to finish.
        await this.intents.dropKey(found.key);
        note({ action: 'dropped-intent', target: found.key, detail: 'unreadable intent (its write was cut short); nothing of it was visible' });
        continue;
      }
      const intent = found.intent;
      if (intent.jobId === runId || liveIds.has(intent.jobId)) continue;
      const settled = await this.recoverIntent(intent, note).catch((error: unknown) => {
        note({ action: 'kept-intent', target: intent.source.path, detail: `could not finish or roll back (${(error as Error).message}); the next run tries again` });
        return false;
      });
      if (!settled) {
        unsettled.add(intent.jobId);
        for (const output of intent.outputs) keptRefs.add(output.ref);
      }
    }

    const orphans: OpenStagedState[] = [];
    for await (const state of this.deps.store.openStaged()) {
      if (!keptRefs.has(state.ref) && this.belongsToDeadRun(state, runId, dead, live, unsettled)) orphans.push(state);
    }
    // 8 at a time: a run killed while staging a big tar leaves hundreds of uploads.
    for (let index = 0; index < orphans.length; index += 8) {
      await Promise.all(
        orphans.slice(index, index + 8).map(async (state) => {
          await this.deps.store.dropStaged(state);
          note(
            state.key !== undefined
              ? { action: 'aborted-upload', target: state.key, detail: `open upload started ${state.startedAt.toISOString()} by a run that died` }
              : { action: 'removed-staging', target: state.ref, detail: 'staged state of a run that died' },
          );
        }),
      );
    }

    for (const name of await sweepRunFolders(this.deps.tempDir)) {
      note({ action: 'removed-temp', target: name, detail: 'temporary folder (zip spools) of a run that died' });
    }
    for (const run of dead) if (!unsettled.has(run.runId)) await this.registry.forget(run.provider, run.runId);
    return actions;
  }

  /** Finishes or rolls back one dead run's intent; false when it must stay for a later run. */
  private async recoverIntent(intent: CommitIntent, note: (action: RecoveryAction) => void): Promise<boolean> {
    // With the name's bytes, when it has them: the ledger keys a non-UTF-8 name by them.
    const { path, rawPath, size, mtimeMs } = intent.source;
    const source = { path, ...(rawPath === undefined ? {} : { rawPath }), size, mtimeMs };
    const recorded = (await this.deps.ledger.pending(intent.provider, [source])).length === 0;
    if (recorded) {
      // The run died between its ledger record and dropping the intent: the file is done.
      await this.intents.drop(intent);
      note({ action: 'dropped-intent', target: intent.source.path, detail: 'its ledger record was already written' });
      return true;
    }
    const { staging, missing } = await this.deps.store.resume(intent.outputs, { runId: intent.jobId });
    if (missing.length === 0) {
      try {
        await finishCommit(this.intents, this.deps.ledger, this.deps.store, staging, intent);
        note({ action: 'rolled-forward', target: intent.source.path, detail: `${intent.outputs.length} output(s) of job ${intent.jobId} made visible and recorded` });
        return true;
      } catch {
        // finishCommit rolled back (or left the intent for later): say which.
        const left = (await this.intents.list(this.deps.provider)).some((found) => found.intent && CommitIntents.keyFor(found.intent) === CommitIntents.keyFor(intent));
        if (left) return false;
        note({ action: 'rolled-back', target: intent.source.path, detail: 'the commit could not finish; what was visible was removed, the file is processed again' });
        return true;
      }
    }
    if (!(await rollBack(this.intents, staging, intent))) return false;
    note({
      action: 'rolled-back',
      target: intent.source.path,
      detail: `${missing.length} of ${intent.outputs.length} output(s) were no longer staged (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); what was visible was removed, the file is processed again`,
    });
    return true;
  }

  /**
   * Staged state is a dead run's when its owner is: a run of this provider registered and
   * dead, or (for staging folders named after a process) a process on this host that is gone.
   * State without an owner (someone else's upload) is never a dead run's.
   */
  private belongsToDeadRun(state: OpenStagedState, runId: string, dead: readonly RegisteredRun[], live: readonly RegisteredRun[], unsettled: ReadonlySet<string>): boolean {
    const owner = state.owner;
    if (!owner) return false;
    if (owner.runId === runId || unsettled.has(owner.runId) || live.some((run) => run.runId === owner.runId)) return false;
    if (owner.host !== undefined && owner.pid !== undefined && runOwnerGone({ host: owner.host, pid: owner.pid, runId: owner.runId })) return true;
    return dead.some((run) => run.runId === owner.runId);
  }
}
