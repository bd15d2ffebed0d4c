export { default } from "@sesame/api/testing/global-setup";
