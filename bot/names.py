"""Names the matcher knows besides the guide's: programming languages, and other software.

Data only, so that the matcher stays readable. `LANGUAGES` lets a learner name a language
instead of a framework ("python", "js", "c#"). `OTHER_SOFTWARE` is used only to say "that is
something else, not in this guide": a query that is one of these names (and no name of the
guide) never gets a card, nor does a misspelling that is as close to one of them as to a name of
the guide. "grails" is one letter from "rails", and without this list the matcher could not
tell a typo of Rails from Grails. Names here that a guide does have are ignored for that guide.
"""

from __future__ import annotations

LANGUAGES: dict[str, tuple[str, ...]] = {
    "javascript": ("javascript", "js", "ecmascript", "es6", "vanillajs"),
    "typescript": ("typescript", "ts"),
    "python": ("python", "py", "python3", "py3"),
    "go": ("go", "golang"),
    "csharp": ("csharp", "c#"),
    "php": ("php",),
    "java": ("java",),
    "ruby": ("ruby", "rb"),
    "elixir": ("elixir",),
    "kotlin": ("kotlin", "kt"),
    "rust": ("rust", "rs"),
    "scala": ("scala",),
    "swift": ("swift",),
    "dart": ("dart",),
    "fsharp": ("fsharp", "f#"),
    "cpp": ("cpp", "c++"),
    "perl": ("perl",),
    "haskell": ("haskell",),
    "clojure": ("clojure",),
    "erlang": ("erlang",),
    "crystal": ("crystal",),
    "lua": ("lua",),
    "julia": ("julia",),
    "nim": ("nim",),
    "zig": ("zig",),
    "ocaml": ("ocaml",),
    "groovy": ("groovy",),
    "gleam": ("gleam",),
}
"""Each language's canonical spelling (as `bot.matching` folds it), and what learners type for it.

A guide's `language: C#` is matched through this table, so "c#", "csharp" and "cs" all find it;
a language the table does not know is matched by its own name only.
"""

RELATED_LANGUAGES: dict[str, tuple[str, ...]] = {"javascript": ("typescript",)}
"""Languages whose frameworks a learner of the first one uses too: TypeScript is JavaScript with
types, so a JavaScript learner is shown the TypeScript frameworks as well (NestJS)."""

_OTHER_SOFTWARE = """
adonis adonisjs aiohttp akka alpine alpinejs angular angularjs ansible apollo astro aurelia
axum backbone backbonejs beego blazor blitz bootstrap bottle bulma bun cakephp capacitor
celery chakra cherrypy chi chalice cocoa codeigniter cordova couchdb cowboy cuba dash
deno dgraph docker dropwizard drupal dynamodb echo electron elasticsearch ember emberjs
erpnext esbuild expressive falcon fastify fasthttp feathers feathersjs fiber flutter
fresh gatsby gin gorilla gradle grails graphql gulp hanami hapi helidon hibernate hono
htmx hugo ionic jakarta javalin jekyll jetty jest jquery jinja joomla kafka kemal keras koa
kitura ktor kubernetes lapis laminas leptos lit litestar loopback lucky lumen magento masonite
maven meteor micronaut mithril mojolicious mongodb mongoose mysql nakama nancy nestjs netty
next nextjs nginx nitro nuxt nuxtjs numpy oak octane padrino pandas perfect phalcon pinia play
plug polka postgres postgresql preact prisma pyramid pytorch qwik quart quarkus
rabbitmq rack ratpack react reactjs redis redux remix revel rocket roda rocketrs sails sailsjs
salvo sanic scalatra scikit selenium sequelize servant shiny sinatra slim solid solidjs
spark spock sqlalchemy sqlite starlette strapi streamlit struts svelte sveltekit symfony
tailwind tensorflow thymeleaf tide tokio tomcat tornado trpc turbo twisted typeorm undertow
vaadin vapor vert vertx vite vitepress vue vuejs warp webpack webflow wicket wordpress xamarin
yesod yew yii yii2 zend zope
actix aspnet blade django express fastapi flask laravel nest nodejs phoenix rails spring
android ios linux windows macos ubuntu git github gitlab bitbucket jenkins terraform aws azure
gcp heroku vercel netlify firebase supabase cloudflare oracle mariadb cassandra neo4j sqlserver
memcached rabbit kafka nats grpc rest soap websocket websockets oauth jwt json yaml xml html css
sass less webassembly wasm unity unreal godot pygame arduino raspberry excel chatgpt openai
llama langchain huggingface jupyter anaconda conda pip npm yarn pnpm composer cargo rubygems
nuget bundler rake rspec pytest junit mocha jasmine cypress playwright puppeteer storybook
"""
OTHER_SOFTWARE = frozenset(_OTHER_SOFTWARE.split())
"""Well-known frameworks, libraries, tools and services: several are other backend frameworks
(Grails, Sails, Quarkus, Fiber), the rest what learners also ask a study bot about. The guide's
own frameworks appear here too, so that a guide without, say, Express answers "express" with
"not in this guide" rather than with a framework a letter or two away from it. Names that only
add to another's ("Django REST framework", "Spring Boot") are left out: a guide that has the
one is the right answer to the other."""
