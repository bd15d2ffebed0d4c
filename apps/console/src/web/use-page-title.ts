import { useEffect } from "react";

/** Each page names itself, so screen readers and tabs say where the operator is. */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Sesame console`;
  }, [title]);
}
