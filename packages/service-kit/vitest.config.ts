import { sesameVitestConfig } from "@sesame/vitest-config";
export default sesameVitestConfig();
