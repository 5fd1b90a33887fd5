/** A set of callbacks; one that throws must not stop the others or the SDK. */
export class Listeners<T extends unknown[]> {
  private readonly callbacks = new Set<(...args: T) => void>();

  add(callback: (...args: T) => void): () => void {
    // A wrapper per registration, so that the same function added twice is called twice and removed once.
    const entry = (...args: T) => callback(...args);
    this.callbacks.add(entry);
    return () => this.callbacks.delete(entry);
  }

  emit(...args: T): void {
    for (const callback of [...this.callbacks]) {
      try {
        callback(...args);
      } catch (error) {
        // A listener's bug is the app's to see, not a reason for the SDK to lose its state.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
