// Personal data the token may not see is shown masked, and says so; never blank.
import { isMasked } from "../format";

export function Value({ value }: { value: string | null | undefined }) {
  if (value === null || value === undefined || value === "") return <span className="absent">—</span>;
  if (isMasked(value)) {
    return (
      <span className="masked" title="Masked: your token lacks the pii scope">
        {value} <span className="tag">masked</span>
      </span>
    );
  }
  return <span>{value}</span>;
}
