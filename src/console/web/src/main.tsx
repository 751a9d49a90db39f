import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { ComponentType } from "preact";
import { DashboardPage } from "./dashboard/dashboard-page.js";
import "./styles.css";

type Route = { page: "dashboard" | "workbench"; params: URLSearchParams };

/** Routes live in the hash (`#/?from=…`, `#/workbench`), so the server serves one page and links are shareable. */
function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, search] = hash.split("?");
  return {
    page: path === "/workbench" ? "workbench" : "dashboard",
    params: new URLSearchParams(search ?? ""),
  };
}

function useTheme(): [string, () => void] {
  const preferred = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  const [theme, setTheme] = useState<string>(() => localStorage.getItem("clickstream-theme") ?? preferred);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("clickstream-theme", theme);
  }, [theme]);
  return [theme, () => setTheme(theme === "dark" ? "light" : "dark")];
}

function App() {
  const [route, setRoute] = useState(currentRoute);
  const [theme, toggleTheme] = useTheme();
  // The workbench (CodeMirror) is a separate chunk, loaded when first opened.
  const [Workbench, setWorkbench] = useState<ComponentType | null>(null);
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    if (route.page === "workbench" && !Workbench) {
      void import("./workbench/workbench-page.js").then((m) => setWorkbench(() => m.WorkbenchPage));
    }
    document.title = `${route.page === "workbench" ? "SQL workbench" : "Dashboard"} · Clickstream console`;
  }, [route.page, Workbench]);
  return (
    <>
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <header class="top">
        <h1>Clickstream console</h1>
        <nav class="tabs" aria-label="Pages">
          <a href="#/" aria-current={route.page === "dashboard" ? "page" : undefined}>
            Dashboard
          </a>
          <a href="#/workbench" aria-current={route.page === "workbench" ? "page" : undefined}>
            SQL workbench
          </a>
        </nav>
        <span class="spacer" />
        <button
          type="button"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
        >
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {route.page === "dashboard" ? (
          <DashboardPage params={route.params} />
        ) : Workbench ? (
          <Workbench />
        ) : (
          <p class="loading" role="status">
            Loading the workbench…
          </p>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
