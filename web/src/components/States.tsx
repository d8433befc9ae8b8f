// Loading, empty and error states, the same everywhere.
import type { CombinedError } from "urql";
import { errorText } from "../format";

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function ErrorNote({ error, retry }: { error: CombinedError | Error | string | undefined | null; retry?: () => void }) {
  if (!error) return null;
  const text = typeof error === "string" ? error : errorText(error as CombinedError);
  return (
    <div className="state error" role="alert">
      <span>{text}</span>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
