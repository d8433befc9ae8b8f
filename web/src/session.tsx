// The signed-in session, shared by every screen.
import { createContext, useContext } from "react";
import type { Session } from "./auth";

export interface SessionState {
  session: Session;
  signOut: (reason?: string) => void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error("useSession outside a signed-in page");
  return state;
}
