import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { Provider } from "urql";
import { clearSession, loadSession, saveSession, type Session } from "./auth";
import { makeClient } from "./client";
import { SessionContext } from "./session";
import { Layout } from "./components/Layout";
import { SignIn } from "./pages/SignIn";
import { MyDay } from "./pages/MyDay";
import { SearchPage } from "./pages/Search";
import { CustomerPage } from "./pages/Customer";
import { ReviewPage } from "./pages/Review";
import { Loading } from "./components/States";

// The map pulls in Cytoscape: loaded only when someone opens it.
const MapPage = lazy(() => import("./pages/Map"));

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);
  const navigate = useNavigate();
  const location = useLocation();

  const signOut = useCallback((reason?: string) => {
    clearSession();
    setSession(null);
    setNotice(reason ?? null);
  }, []);

  const api = useMemo(() => (session ? makeClient(session.token, (m) => signOut(m)) : null), [session, signOut]);
  useEffect(() => () => api?.close(), [api]);

  if (!session || !api) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          saveSession(s);
          setNotice(null);
          setSession(s);
          // A deep link opened before signing in stays where it pointed.
          if (location.pathname === "/signin") navigate("/", { replace: true });
        }}
      />
    );
  }

  return (
    <SessionContext.Provider value={{ session, signOut }}>
      <Provider value={api.client}>
        <Layout>
          <Suspense fallback={<Loading what="the page" />}>
            <Routes>
              <Route path="/" element={<MyDay />} />
              <Route path="/search" element={<SearchPage />} />
              <Route path="/customers/:id" element={<CustomerPage />} />
              <Route path="/customers/:id/map" element={<MapPage />} />
              <Route path="/review" element={<ReviewPage />} />
              <Route path="/signin" element={<Navigate to="/" replace />} />
              <Route path="*" element={<p role="alert">There is no page at {location.pathname}.</p>} />
            </Routes>
          </Suspense>
        </Layout>
      </Provider>
    </SessionContext.Provider>
  );
}
