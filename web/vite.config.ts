import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API of a local `c360 serve`; the build is served by the API itself.
const api = process.env.C360_API ?? "http://127.0.0.1:8360";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/graphql": { target: api, ws: true } },
  },
  build: {
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
