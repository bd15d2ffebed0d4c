import { Link } from "wouter";
import { usePageTitle } from "../use-page-title.ts";

export function NotFoundPage({ message }: { message?: string }) {
  usePageTitle("Not here");
  return (
    <>
      <h1>Not here</h1>
      <p>{message ?? "There is no page at this address."}</p>
      <p>
        <Link href="/">Go to the start page</Link>
      </p>
    </>
  );
}
