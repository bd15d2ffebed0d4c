import { Link, useRoute } from "wouter";
import type { ConsoleSessionInfo } from "../../shared/protocol.ts";

export function Header({ session, onSignOut }: { session: ConsoleSessionInfo; onSignOut: () => void }) {
  const links = session.role === "root" ? [{ href: "/tenants", label: "Tenants" }] : [
    { href: "/users", label: "Users" },
    { href: "/audit", label: "Audit" },
    { href: "/tenant", label: "Tenant" },
  ];
  return (
    <header className="topbar">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <span className="brand">Sesame console</span>
      <span className="who" title={session.tenant ? `Tenant ${session.tenant.name}` : "Root key: tenant management"}>
        {session.tenant ? session.tenant.code : "root"}
      </span>
      <nav aria-label="Main" className="nav">
        {links.map((l) => (
          <NavLink key={l.href} {...l} />
        ))}
      </nav>
      <button type="button" className="link-button signout" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

function NavLink({ href, label }: { href: string; label: string }) {
  const [exact] = useRoute(href);
  const [nested] = useRoute(`${href}/*`);
  return (
    <Link href={href} aria-current={exact || nested ? "page" : undefined}>
      {label}
    </Link>
  );
}
