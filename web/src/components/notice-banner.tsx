import type { Notice } from '../messages.js';

/** An outcome or a problem. Errors interrupt screen readers (role=alert); the rest is polite. */
export function NoticeBanner({ notice, onDismiss }: { notice: Notice | undefined; onDismiss?: () => void }) {
  if (!notice) return null;
  const urgent = notice.tone === 'error' || notice.tone === 'warning';
  return (
    <div className={`notice notice-${notice.tone}`} role={urgent ? 'alert' : 'status'} data-testid="notice">
      <p>{notice.text}</p>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss} aria-label="Dismiss this message">
          Dismiss
        </button>
      )}
    </div>
  );
}
