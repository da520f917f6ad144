/** Waits a face makes on purpose (slow-answer switches) that closing the face ends at once. */
export class CancellableDelays {
  private readonly pending = new Set<() => void>();

  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.pending.add(finish);
    });
  }

  /** Ends every pending wait now. */
  releaseAll(): void {
    for (const finish of [...this.pending]) finish();
  }
}
