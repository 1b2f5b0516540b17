// What the host app provides before it evaluates a scene: here, an Iconify icon component with the
// Material Design Icons collection registered offline (nothing is fetched).
import React from "react";
import { Icon, addCollection } from "@iconify/react";
import { icons as mdi } from "@iconify-json/mdi";

addCollection(mdi);

// `ssr` draws the icon on the first render (Remotion screenshots what React has committed).
(window as any).IconifyIcon = (props: Record<string, unknown>) =>
  React.createElement(Icon, { ssr: true, ...props } as any);
